/**
 * Our render against the real `crossplane render` (crank v2.2.1, Development runtime, the real
 * function-auto-ready, and the stand-in for function-kcl over the same KCL engine): every case
 * must give the same stream. The only normalisation is the YAML text itself: crank's output is
 * parsed and written with the same emitter (crank already sorts keys and pins condition times).
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { createCrossplaneRenderer, type CrossplaneRenderer } from "../../scripts/lib/render/crossplane/renderer.js";
import { renderCasesWith } from "../../scripts/lib/cases.js";
import { loadPackage, localRenderer, toRenderStream, type KubeObject, type RenderedCase } from "../../scripts/lib/render/index.js";
import { gadget, tempPackage, WIDGETS, type TempPackage } from "./helpers.js";

let engine: KclEngine;
let crossplane: CrossplaneRenderer;
beforeAll(async () => {
  engine = await createEngine({ workers: 2 });
  crossplane = await createCrossplaneRenderer(engine);
});
afterAll(async () => {
  await crossplane?.close();
  await engine?.close();
});

async function both(pkgDir: string, casesDir: string): Promise<[RenderedCase[], RenderedCase[]]> {
  const pkg = loadPackage(pkgDir);
  return Promise.all([renderCasesWith(localRenderer(engine), pkg, casesDir), renderCasesWith(crossplane, pkg, casesDir)]);
}

function expectSame(ours: RenderedCase[], real: RenderedCase[]) {
  expect(real.map((c) => c.case)).toEqual(ours.map((c) => c.case));
  for (const [i, o] of ours.entries()) {
    const r = real[i]!;
    expect(o.error, `${o.case} (ours)`).toBeUndefined();
    expect(r.error, `${r.case} (crossplane render)`).toBeUndefined();
    expect(toRenderStream(r.result!), r.case).toBe(toRenderStream(o.result!));
    expect(r.result!.results, r.case).toEqual(o.result!.results);
  }
}

describe("our render and the real crossplane render agree", () => {
  it("on every case of tests/cases with our package", async () => {
    const before = crossplane.standinCalls;
    const [ours, real] = await both(PACKAGE_DIR, join(ROOT, "tests", "cases"));
    expect(ours.length).toBeGreaterThanOrEqual(15);
    expectSame(ours, real);
    // crank called the stand-in for each KCL step of each case.
    const kclSteps = (c: RenderedCase) =>
      (
        loadPackage(PACKAGE_DIR).compositions.find((x) => x.metadata!.name === c.result!.composition)!.spec as { pipeline: { input?: unknown }[] }
      ).pipeline.filter((s) => s.input).length;
    expect(crossplane.standinCalls - before).toBe(real.reduce((n, c) => n + kclSteps(c), 0));
  });

  it("on the fixture package (several KCL steps, context, conditions, events, observed resources)", async () => {
    const [ours, real] = await both(join(WIDGETS, "package"), join(WIDGETS, "cases"));
    expectSame(ours, real);
  });
});

describe("failures read the same with both engines", () => {
  let pkg: TempPackage;
  beforeAll(() => {
    pkg = tempPackage(
      [{ name: "g", steps: [{ step: "check", kcl: `_x = option("params").oxr\nassert _x.spec.color != "black", "no black"\nitems = []` }, { step: "ready" }] }],
      { defaultComposition: "g" },
    );
  });
  afterAll(() => pkg?.remove());

  it("a step of another function is refused before crank runs", async () => {
    const other = tempPackage(
      [{ name: "pt", steps: [{ step: "patch", fn: "function-patch-and-transform", input: { apiVersion: "pt.fn.crossplane.io/v1beta1", kind: "Resources" } }] }],
      { defaultComposition: "pt" },
    );
    try {
      await expect(crossplane.render(loadPackage(other.dir), gadget("g1") as KubeObject, { source: "g1.yaml" })).rejects.toThrow(
        'g1.yaml: composition pt, step "patch" (function-patch-and-transform): unsupported function function-patch-and-transform in step patch; --engine crossplane runs function-kcl steps (through the stand-in for function-kcl) and function-auto-ready only',
      );
    } finally {
      other.remove();
    }
  });

  it("a KCL error names the step and the line in the package file", async () => {
    const loaded = loadPackage(pkg.dir);
    const xr = gadget("g1", { spec: { color: "black" } }) as KubeObject;
    const ours = await localRenderer(engine)
      .render(loaded, xr, { source: "g1.yaml" })
      .catch((e: Error) => e.message);
    const real = await crossplane.render(loaded, xr, { source: "g1.yaml" }).catch((e: Error) => e.message);
    expect(ours).toMatch(
      /^g1\.yaml: composition g, step "check" \(function-kcl\): .*compositions\.yaml:\d+:\d+ \(line 2 of the step's KCL source\): .*no black/,
    );
    expect(real).toBe(ours);
  });
});
