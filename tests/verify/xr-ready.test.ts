/**
 * Readiness: every observed-ready case (tests/cases/*-ready.yaml with its observed state, one per
 * cloud with and without apps) ends Ready=True through the real render; the readiness is earned
 * (one resource observed not ready holds the XR back); and a copy of the repository whose KCL no
 * longer marks anything ready fails `npm run verify` with xr-ready naming the ProviderConfigs.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, PACKAGE_DIR } from "../../scripts/lib/paths.js";
import { caseInputs, renderCase } from "../../scripts/lib/cases.js";
import { loadPackage, readObservedFile, readXrFile, localRenderer, type KubeObject, type RenderResult } from "../../scripts/lib/render/index.js";
import { xrReady } from "../../scripts/lib/verify/rules/xr-ready.js";
import type { Finding } from "../../scripts/lib/verify/types.js";
import { useEngine } from "../helpers/engine.js";
import { copyRepo } from "../helpers/repo.js";
import { context, run } from "./fixtures.js";

const engine = useEngine({ workers: 2 });
const CASES_DIR = join(ROOT, "tests", "cases");
const CRN = "crossplane.io/composition-resource-name";
const readyCases = caseInputs(CASES_DIR).filter((c) => c.case.endsWith("-ready"));

const xrReadyCondition = (r: RenderResult) =>
  ((r.xr.status as { conditions?: { type: string; status: string; message?: string }[] }).conditions ?? []).find((c) => c.type === "Ready");
const readyOf = (o: KubeObject) =>
  ((o.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).find((c) => c.type === "Ready");

describe("observed-ready cases", () => {
  it("exist for every composition, with and without apps", () => {
    const kinds = readyCases.map((c) => {
      const xr = readXrFile(c.file) as KubeObject & {
        spec: { crossplane: { compositionSelector: { matchLabels: { provider: string } } }; parameters: { apps?: unknown } };
      };
      expect(c.observedFile, `${c.case} has no observed state`).toBeDefined();
      return `${xr.spec.crossplane.compositionSelector.matchLabels.provider}${xr.spec.parameters.apps ? "+apps" : ""}`;
    });
    expect(kinds.sort()).toEqual(["aws", "aws+apps", "azure", "azure+apps", "google", "google+apps"]);
  });

  it.each(readyCases.map((c) => [c.case, c] as const))("%s: the XR ends Ready=True from what the controllers report", async (_name, input) => {
    const rendered = await renderCase(localRenderer(engine), loadPackage(PACKAGE_DIR), input);
    expect(rendered.error).toBeUndefined();
    const result = rendered.result!;
    expect(xrReadyCondition(result)).toMatchObject({ status: "True", reason: "Available" });
    // The observed state is what real controllers report, for every composed resource: managed
    // resources, Releases, Objects and Usages Ready=True, ProviderConfigs no Ready condition.
    const observed = readObservedFile(input.observedFile!);
    const byName = new Map(observed.map((o) => [o.metadata!.annotations![CRN]!, o]));
    expect([...byName.keys()].sort()).toEqual(result.resources.map((r) => r.name).sort());
    for (const o of observed) {
      if (o.kind === "ProviderConfig") expect(readyOf(o), o.metadata!.name).toBeUndefined();
      else expect(readyOf(o)?.status, `${o.kind} ${o.metadata!.name}`).toBe("True");
    }
    expect(run(context([rendered]), [xrReady])).toEqual([]);
  });

  it("is earned: a managed resource observed not ready holds the XR back, and xr-ready stays quiet (it can still become ready)", async () => {
    const input = readyCases.find((c) => c.case === "aws-apps-ready")!;
    const observed = readObservedFile(input.observedFile!).map((o) =>
      o.kind === "NodeGroup"
        ? { ...o, status: { conditions: [{ type: "Ready", status: "False", reason: "Creating", lastTransitionTime: "2025-06-01T10:00:00Z" }] } }
        : o,
    );
    const xr = readXrFile(input.file) as KubeObject;
    const result = await localRenderer(engine).render(loadPackage(PACKAGE_DIR), xr, { observed, source: input.file });
    expect(xrReadyCondition(result)).toMatchObject({ status: "False", message: "Unready resources: eksnodegroup" });
    expect(run(context([{ case: input.case, file: input.file, result, observed }]), [xrReady])).toEqual([]);
  });
});

describe("xr-ready on a copy of the repository", () => {
  it("fails `npm run verify` naming every ProviderConfig of every case once nothing marks them ready", async () => {
    const repo = copyRepo();
    try {
      let marked = 0;
      for (const f of ["apps.k", "aws.k", "google.k", "azure.k"]) {
        const path = join("kcl", f);
        const text = repo.read(path);
        const count = text.split('"krm.kcl.dev/ready" = "True"').length - 1;
        if (f === "apps.k") expect(count, "kcl/apps.k marks its ProviderConfigs ready").toBeGreaterThan(0);
        marked += count;
        repo.write(path, text.replaceAll('"krm.kcl.dev/ready" = "True"', '"krm.kcl.dev/ready" = "Unspecified"'));
      }
      expect(marked).toBeGreaterThan(0);
      const build = await repo.run("build");
      expect(build.exitCode, String(build.all)).toBe(0);
      const verify = await repo.run("verify", ["--json"]);
      expect(verify.exitCode, String(verify.all)).toBe(1);
      const findings = (JSON.parse(String(verify.stdout)) as { findings: Finding[] }).findings;
      expect(findings.filter((f) => f.rule !== "xr-ready")).toEqual([]);
      // Exactly the ProviderConfigs of every case, as the committed package renders them.
      const expected: string[] = [];
      for (const c of caseInputs(CASES_DIR)) {
        const rendered = await renderCase(localRenderer(engine), loadPackage(PACKAGE_DIR), c);
        const configs = rendered.result!.resources.filter((r) => r.object.kind === "ProviderConfig").map((r) => r.name);
        const name = (readXrFile(c.file) as KubeObject).metadata!.name!;
        expect(configs, c.case).toEqual(expect.arrayContaining([`${name}-config-helm`, `${name}-config-kubernetes`]));
        expected.push(...configs.map((crn) => `${c.case} ${crn}`));
      }
      expect(findings.map((f) => `${f.case} ${f.resource}`).sort()).toEqual(expected.sort());
      for (const f of findings) {
        expect(f.message).toContain("ProviderConfig never reports Ready");
        expect(f.hint).toBe('mark it ready explicitly with the annotation krm.kcl.dev/ready: "True"');
      }
    } finally {
      repo.remove();
    }
  });
});

describe("xr-ready on small renders", () => {
  const xr = (ready: boolean): KubeObject => ({
    apiVersion: "devopstoolkit.ai/v2",
    kind: "Cluster",
    metadata: { name: "a", namespace: "default" },
    status: { conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: ready ? "Available" : "Creating" }] },
  });
  const res = (name: string, kind: string, ready: "True" | "False" | "Unspecified") => ({
    name,
    ready,
    object: { apiVersion: "example.org/v1", kind, metadata: { name } } as KubeObject,
  });
  const result = (ready: boolean, resources: ReturnType<typeof res>[]): RenderResult => ({
    xr: xr(ready),
    observedXr: xr(ready),
    resources,
    composition: "c",
    stream: [],
    results: [],
  });
  const check = (r: RenderResult, observed?: KubeObject[]) =>
    run(context([{ case: "c", file: "/cases/c.yaml", result: r, ...(observed ? { observed } : {}) }]), [xrReady]);

  it("names a resource the composition marks not ready, and one observed without a Ready condition", () => {
    const observed: KubeObject = {
      apiVersion: "example.org/v1",
      kind: "Widget",
      metadata: { name: "w", annotations: { [CRN]: "w" } },
      status: { conditions: [{ type: "Synced", status: "True" }] },
    };
    const fs = check(result(false, [res("off", "Widget", "False"), res("w", "Widget", "Unspecified"), res("pending", "Widget", "Unspecified")]), [observed]);
    expect(fs.map((f) => f.resource)).toEqual(["off", "w"]);
    expect(fs[0]!.message).toContain('marked not ready by the composition (krm.kcl.dev/ready: "False")');
    expect(fs[1]!.message).toContain("observed without a Ready condition");
  });

  it("says nothing when the XR is Ready, and names the XR when nothing else holds it back", () => {
    expect(check(result(true, [res("pc", "ProviderConfig", "True")]))).toEqual([]);
    const fs = check(result(false, [res("pc", "ProviderConfig", "True")]));
    expect(fs).toHaveLength(1);
    expect(fs[0]!.resource).toBeUndefined();
    expect(fs[0]!.message).toContain("a step marks the composite itself not ready");
  });
});
