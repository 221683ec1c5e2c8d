/** The app catalogue declared in kcl/apps.k, and the package README generated from it. */
import { UserError } from "./errors.js";
import type { KclEngine } from "./kcl/engine.js";
import { LAYOUT } from "./paths.js";

export const APPS_SOURCE = LAYOUT.apps;

export interface CatalogueEntry {
  /** App key under spec.parameters.apps, or a descriptive name for always-on entries. */
  app: string;
  /** When the resource is created, e.g. "apps.argocd.enabled" or "always (gke, aks)". */
  gate: string;
  /** What is installed: a chart name or an inline object kind. */
  resource: string;
  /** Chart repository (https://…, oci://…) or tarball URL; empty for inline objects. */
  source: string;
  version: string;
  namespace: string;
}

/** Runs apps.k in catalogue mode (option catalogue=true): it then defines `catalogue`. */
export async function readCatalogue(engine: KclEngine, root: string): Promise<CatalogueEntry[]> {
  const docs = await engine.run({ files: [APPS_SOURCE], workDir: root, options: { catalogue: true } });
  const catalogue = (docs[0] as { catalogue?: unknown } | undefined)?.catalogue;
  const fields = ["app", "gate", "resource", "source", "version", "namespace"] as const;
  if (
    !Array.isArray(catalogue) ||
    catalogue.length === 0 ||
    !catalogue.every((e) => e && typeof e === "object" && fields.every((f) => typeof (e as Record<string, unknown>)[f] === "string"))
  ) {
    throw new UserError(`${APPS_SOURCE}: with option catalogue=true it must define \`catalogue\`, a non-empty list of {${fields.join(", ")}} strings.`);
  }
  return catalogue as CatalogueEntry[];
}

const cell = (s: string) => (s === "" ? "—" : s.replace(/\|/g, "\\|"));

export function catalogueReadme(entries: readonly CatalogueEntry[]): string {
  const rows = entries.map((e) => `| ${cell(e.app)} | ${cell(e.gate)} | ${cell(e.resource)} | ${cell(e.source)} | ${cell(e.version)} | ${cell(e.namespace)} |`);
  return [
    "<!-- Generated from kcl/apps.k by `npm run build`. Do not edit. -->",
    "# Cluster apps",
    "",
    "Apps a `Cluster` (`devopstoolkit.ai/v2`) installs into the cluster it creates. Each is enabled by",
    "`spec.parameters.apps.<app>.enabled: true` unless the gate says otherwise; every app resource is",
    "protected by a `Usage` so the cluster cannot be deleted before its apps.",
    "",
    "| app | enabled by | installs | source | version | namespace |",
    "|---|---|---|---|---|---|",
    ...rows,
    "",
    "Change a chart version with `npm run bump <chart> <version-or-range>`.",
    "",
  ].join("\n");
}
