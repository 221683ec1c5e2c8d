/**
 * The package upgrades from dot-kubernetes 83c2e26 without deleting anything: the facts recorded
 * from it (tests/upgrade/dot-kubernetes-83c2e26.json, written by `npm run record-upgrade-facts`
 * from its git history with this repository's render) replayed against the current package with
 * the real KCL engine and the providers' real CRD defaults.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { CACHE_DIR, PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { loadPackage } from "../../scripts/lib/render/index.js";
import { loadPins } from "../../scripts/lib/tools.js";
import { checkFacts, EXCEPTIONS, judgeAssert, type FactsReport } from "../../scripts/lib/upgrade-facts/check.js";
import { crdDefaulter } from "../../scripts/lib/upgrade-facts/live.js";
import type { UpgradeFacts } from "../../scripts/lib/upgrade-facts/record.js";
import { matchTree, resolveTree } from "../../scripts/lib/upgrade-facts/replay.js";
import { obtainSchemas } from "../../scripts/lib/validate/crds.js";
import { useEngine } from "../helpers/engine.js";

const FACTS_FILE = join(ROOT, "tests", "upgrade", "dot-kubernetes-83c2e26.json");
const facts = JSON.parse(readFileSync(FACTS_FILE, "utf8")) as UpgradeFacts;
const engine = useEngine({ workers: 2 });

let report: FactsReport;
beforeAll(async () => {
  const pkg = loadPackage(PACKAGE_DIR);
  const schemas = await obtainSchemas({
    configuration: pkg.configuration,
    crossplaneVersion: loadPins().crossplane.version,
    cacheDir: join(CACHE_DIR, "crds"),
  });
  if (schemas.crds.length === 0)
    throw new Error(
      `the providers' CRDs are needed for their defaults and none could be obtained: ${schemas.sources.map((s) => `${s.package}: ${s.reason ?? "?"}`).join("; ")}`,
    );
  report = await checkFacts({ engine, pkg, facts, defaulter: crdDefaulter(schemas.crds) });
});

describe("upgrade from dot-kubernetes 83c2e26", () => {
  it("the recorded facts cover its three Chainsaw tests and hold on its own render", () => {
    expect(facts.source.commit).toBe("83c2e26");
    for (const test of ["aws", "azure", "google"])
      expect(
        facts.states.some((s) => s.id.startsWith(`${test}#`)),
        test,
      ).toBe(true);
    expect(facts.asserts.length).toBeGreaterThan(150);
    // The contract is what held on the old package; anything else is listed, not silently dropped.
    expect(report.notHeldByOld.length).toBeLessThan(facts.asserts.length / 10);
  });

  it("deletes no composition resource and keeps each one's API group, kind and metadata.name", () => {
    const problems = report.states.flatMap((s) => [
      ...(s.error ? [`${s.id}: does not render: ${s.error}`] : []),
      ...s.deleted.map((c) => `${s.id}: deleted ${c}`),
      ...s.changed.map((c) => `${s.id}: changed ${c}`),
    ]);
    expect(problems).toEqual([]);
    expect(report.states.length).toBe(facts.states.length);
  });

  it("every assert of its Chainsaw tests holds, exactly or after a documented exception", () => {
    const failed = report.asserts.filter((a) => a.verdict === "failed").map((a) => `${a.id}: ${a.mismatches.join("; ")}`);
    expect(failed).toEqual([]);
    const held = report.asserts.filter((a) => a.verdict === "held").length;
    const excepted = report.asserts.filter((a) => a.verdict === "held-with-exceptions");
    process.stderr.write(
      `upgrade replay: ${held + excepted.length}/${report.asserts.length} asserted resources hold (${held} exactly, ${excepted.length} after a documented exception: ` +
        EXCEPTIONS.map((e) => `${e.id} ${excepted.filter((a) => a.exceptions.includes(e.id)).length}`).join(", ") +
        `); did not hold on dot-kubernetes itself: ${report.notHeldByOld.map((a) => `${a.id} (now ${a.verdict}${a.mismatches.length ? `: ${a.mismatches.join("; ").slice(0, 160)}` : ""})`).join(", ") || "none"}\n`,
    );
    // Each exception is needed somewhere: one that no longer applies is removed, not kept.
    for (const e of EXCEPTIONS)
      expect(
        excepted.some((a) => a.exceptions.includes(e.id)),
        e.id,
      ).toBe(true);
  });
});

describe("the replay itself", () => {
  it("matches as Chainsaw does: subset maps, equal-length lists, {} needs a value, filter keys", () => {
    const actual = {
      a: 1,
      b: { c: [1, 2], d: "x" },
      refs: [
        { name: "n", kind: "K" },
        { name: "m", kind: "L" },
      ],
    };
    expect(matchTree({ b: { d: "x" } }, actual)).toEqual([]);
    expect(matchTree({ b: { c: [1] } }, actual)[0]).toMatch(/lengths of lists don't match/);
    expect(matchTree({ e: {} }, actual)[0]).toMatch(/field not found/);
    expect(matchTree({ b: {} }, actual)).toEqual([]);
    expect(matchTree({ "(refs[?name == 'm'])": [{ kind: "L" }] }, actual)).toEqual([]);
    expect(matchTree({ "(refs[?name == 'zz'])": [{ kind: "L" }] }, actual)[0]).toMatch(/lengths of lists don't match/);
  });

  it("resolves bindings and join() as Chainsaw templates them", () => {
    const tree = resolveTree(
      {
        metadata: { name: "(join('-', ['a-team', $cluster]))" },
        spec: { "(crossplane.resourceRefs[?name == join('-', ['a-team', $cluster, $usageName])])": [{ kind: "Usage" }] },
      },
      { cluster: "eks", usageName: "app-x" },
    );
    expect(tree).toEqual({ metadata: { name: "a-team-eks" }, spec: { "(crossplane.resourceRefs[?name == 'a-team-eks-app-x'])": [{ kind: "Usage" }] } });
    expect(() => resolveTree({ a: "(length(b))" }, {})).toThrow(/unsupported expression/);
  });

  it("an exception only rescues the difference it documents", () => {
    const state = facts.states[0]!;
    const world = [
      {
        apiVersion: "kubernetes.m.crossplane.io/v1alpha1",
        kind: "Object",
        metadata: { name: "x" },
        spec: { forProvider: { manifest: { apiVersion: "external-secrets.io/v1", kind: "ExternalSecret", spec: { a: 1 } } } },
      },
    ];
    const expectV1beta1 = (a: number) => ({
      id: "t",
      state: state.id,
      oldPackage: [],
      expect: {
        apiVersion: "kubernetes.m.crossplane.io/v1alpha1",
        kind: "Object",
        metadata: { name: "x" },
        spec: { forProvider: { manifest: { apiVersion: "external-secrets.io/v1beta1", spec: { a } } } },
      },
    });
    expect(judgeAssert(expectV1beta1(1), { state, world }).verdict).toBe("held-with-exceptions");
    const other = judgeAssert(expectV1beta1(2), { state, world });
    expect(other.verdict).toBe("failed");
    expect(other.mismatches.join()).toMatch(/spec\.a: expected 2, got 1/);
  });
});
