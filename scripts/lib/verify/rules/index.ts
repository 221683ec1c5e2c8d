/** Every rule verify runs, in the order findings are reported. */
import type { Rule } from "../types.js";
import { caseRender } from "./case-render.js";
import { crdProtectedGroup } from "./crd-protected-group.js";
import { egBundle } from "./eg-bundle.js";
import { egCompat } from "./eg-compat.js";
import { egConfig } from "./eg-config.js";
import { egExtensionServer } from "./eg-extension-server.js";
import { pkgChartVersions } from "./pkg-chart-versions.js";
import { pkgContents } from "./pkg-contents.js";
import { pkgDependencies } from "./pkg-dependencies.js";
import { pkgDuplicates } from "./pkg-duplicates.js";
import { pkgPlaceholders } from "./pkg-placeholders.js";
import { pkgSecrets } from "./pkg-secrets.js";
import { usageCoverage } from "./usage-coverage.js";
import { usageTargets } from "./usage-targets.js";
import { xrReady } from "./xr-ready.js";

export const RULES: readonly Rule[] = [
  pkgContents,
  caseRender,
  egConfig,
  egExtensionServer,
  egBundle,
  egCompat,
  usageCoverage,
  usageTargets,
  xrReady,
  crdProtectedGroup,
  pkgPlaceholders,
  pkgDuplicates,
  pkgDependencies,
  pkgChartVersions,
  pkgSecrets,
];
