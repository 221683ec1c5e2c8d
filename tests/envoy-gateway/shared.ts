/** What the Envoy Gateway tests share: the shipped gateway-helm values and the Envoy Gateway versions to test against. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { parseAllDocuments } from "yaml";
import { extractPins } from "../../scripts/lib/bump/kclfile.js";
import { envoyGatewayRangeFor } from "../../scripts/lib/compat.js";
import { committedVersions } from "../../scripts/lib/envoy-gateway/validator.js";
import { ROOT } from "../../scripts/lib/paths.js";
import type { Json } from "./corpus.js";

/** The gateway-helm Release of a golden render. */
export function goldenGatewayRelease(caseName: string): { values: Json; version: string; namespace: string } {
  for (const doc of parseAllDocuments(readFileSync(join(ROOT, "tests", "golden", `${caseName}.yaml`), "utf8"))) {
    const o = doc.toJS() as { kind?: string; spec?: { forProvider?: { chart?: { name?: string; version?: string }; namespace?: string; values?: Json } } };
    const fp = o?.spec?.forProvider;
    if (o?.kind === "Release" && fp?.chart?.name === "gateway-helm") return { values: fp.values!, version: fp.chart.version!, namespace: fp.namespace! };
  }
  throw new Error(`tests/golden/${caseName}.yaml has no gateway-helm Release`);
}

export const pin = (variable: string) => extractPins(readFileSync(join(ROOT, "kcl", "apps.k"), "utf8")).pins.find((p) => p.variable === variable)!.value;

/**
 * The Envoy Gateway versions the conformance corpus runs against: the two lowest the compatibility
 * table pairs with the pinned AI Gateway, and the newest, among the versions with a committed validator.
 */
export function versionsUnderTest(): string[] {
  const range = envoyGatewayRangeFor(semver.clean(pin("aiGateway"))!);
  if (!range) throw new Error(`data/compatibility.json has no row for the pinned AI Gateway ${pin("aiGateway")}`);
  const paired = committedVersions()
    .filter((v) => semver.satisfies(v, range))
    .sort(semver.compare);
  return [...new Set([...paired.slice(0, 2), paired[paired.length - 1]!])];
}
