/** The --all planner on its own: versions given as registry listings, no I/O. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { planAll, policyRange, type PinLookup } from "../../scripts/lib/bump/all-plan.js";
import type { ResolvedChart } from "../../scripts/lib/bump/datasources/index.js";
import { extractPins, type Pin } from "../../scripts/lib/bump/kclfile.js";
import { collectVersions } from "../../scripts/lib/bump/versioning.js";
import { loadCompatibility } from "../../scripts/lib/compat.js";
import { ROOT } from "../../scripts/lib/paths.js";

const pins = extractPins(readFileSync(join(ROOT, "kcl", "apps.k"), "utf8")).pins;
const pin = (variable: string) => pins.find((p) => p.variable === variable)!;
const listing = (p: Pin, tags: string[]): PinLookup => ({
  ok: true,
  resolved: p.charts.map(
    (ref): ResolvedChart => ({
      ref,
      source: ref.source,
      location: ref.source,
      set: collectVersions(tags, { oci: ref.datasource === "docker" }),
      requests: 1,
      ms: 1,
    }),
  ),
});
const plan = (lookups: Record<string, PinLookup>, major = false) =>
  planAll({ pins, lookups: new Map(Object.entries(lookups)), major, compatibility: loadCompatibility() });

describe("planAll", () => {
  it("the policy: the same major unless --major, never below the pin", () => {
    expect(policyRange("v0.5.0", false)).toBe(">=0.5.0 <1.0.0");
    expect(policyRange("2.19.0", false)).toBe(">=2.19.0 <3.0.0");
    expect(policyRange("v25.10.1", true)).toBe(">=25.10.1");
  });

  it("holds AI Gateway back from a version the compatibility table does not know, saying so", () => {
    const p = plan(
      { aiGateway: listing(pin("aiGateway"), ["v0.5.0", "v1.1.0", "v1.2.0"]), envoyGateway: listing(pin("envoyGateway"), ["v1.7.0", "v1.9.0"]) },
      true,
    );
    expect(p.moves.map((m) => `${m.pin.variable} ${m.to}`)).toEqual(["envoyGateway v1.9.0", "aiGateway v1.1.0"]);
    expect(p.held).toHaveLength(1);
    expect(p.held[0]).toMatchObject({ at: "v1.1.0", newest: "1.2.0" });
    expect(p.held[0]!.reason).toContain("AI Gateway 1.2.0 is not in the compatibility table data/compatibility.json");
  });

  it("moves nothing of the pair when no allowed pair is in the table, and says why", () => {
    // Envoy Gateway can only go back (never), AI Gateway only to 0.7 (needs Envoy Gateway >= 1.8).
    const p = plan({ aiGateway: listing(pin("aiGateway"), ["v0.7.0"]), envoyGateway: listing(pin("envoyGateway"), ["v1.6.0"]) });
    expect(p.moves).toEqual([]);
    expect(p.held.map((h) => `${h.pin.variable} at ${h.at}, newest ${h.newest}: ${h.reason}`)).toEqual([
      "aiGateway at v0.5.0, newest 0.7.0: AI Gateway 0.7.0 needs Envoy Gateway >=1.8.0; the newest Envoy Gateway the policy allows is 1.7.0 (--major allows more)",
    ]);
    expect(p.current.map((c) => c.pin.variable)).toEqual(["envoyGateway"]);
  });
});
