/**
 * function-kcl's output rules and Crossplane's composition selection, each on a small package
 * built for the test and rendered with the real KCL engine.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEngine, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { loadPackage, RenderError, renderXr, type KubeObject } from "../../scripts/lib/render/index.js";
import { gadget, tempPackage, type CompositionSpec, type TempPackage } from "./helpers.js";

let engine: KclEngine;
let pkgs: TempPackage[] = [];
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(async () => engine?.close());
afterEach(() => {
  for (const p of pkgs) p.remove();
  pkgs = [];
});

function render(compositions: CompositionSpec[], xr: Record<string, unknown> = gadget("g1"), xrd = {}) {
  const p = tempPackage(compositions, xrd);
  pkgs.push(p);
  return renderXr(engine, loadPackage(p.dir), xr as KubeObject, { source: "g1.yaml" });
}
const oneStep = (kcl: string): CompositionSpec[] => [{ name: "c1", steps: [{ step: "s1", kcl }] }];
const cm = (name: string, extra = "") => `{apiVersion = "v1", kind = "ConfigMap", metadata.name = "${name}"${extra}}`;

describe("function-kcl output rules", () => {
  it("takes the items list of a single document", async () => {
    const r = await render(oneStep(`items = [${cm("a")}, ${cm("b")}]\nother = 1`));
    expect(r.resources.map((x) => x.object.metadata!.name)).toEqual(["a", "b"]);
  });

  it("takes a single document without items as one resource, and every document of a stream", async () => {
    const single = await render(oneStep(`apiVersion = "v1"\nkind = "ConfigMap"\nmetadata = {name = "solo"}`));
    expect(single.resources.map((x) => x.name)).toEqual(["solo"]);
    const stream = await render(oneStep(`import manifests\nmanifests.yaml_stream([${cm("x")}, ${cm("y")}])`));
    expect(stream.resources.map((x) => x.name)).toEqual(["x", "y"]);
  });

  it("merges only the status of an item that is the XR", async () => {
    const r = await render(
      oneStep(
        `_x = option("params").oxr\nitems = [{apiVersion = _x.apiVersion, kind = _x.kind, metadata.labels.bad = "x", spec.color = "blue", status.phase = "ok"}]`,
      ),
    );
    expect(r.resources).toEqual([]);
    expect(r.xr.metadata).toEqual({ name: "g1", namespace: "ns1" });
    expect(r.xr.spec).toBeUndefined();
    expect((r.xr.status as { phase: string }).phase).toBe("ok");
  });

  it("names a resource by krm.kcl.dev/composition-resource-name and removes that annotation", async () => {
    const r = await render(oneStep(`items = [${cm("a", `, metadata.annotations = {"krm.kcl.dev/composition-resource-name": "first", keep = "yes"}`)}]`));
    expect(r.resources[0]!.name).toBe("first");
    expect(r.resources[0]!.object.metadata!.annotations).toEqual({ keep: "yes", "crossplane.io/composition-resource-name": "first" });
  });

  it("fails on two resources with the same composition resource name", async () => {
    await expect(render(oneStep(`items = [${cm("same")}, {apiVersion = "v1", kind = "Secret", metadata.name = "same"}]`))).rejects.toThrow(
      /g1\.yaml: composition c1, step "s1" \(function-kcl\): .*multiple composed resources with name "same" returned: ConfigMap\/same and Secret\/same/,
    );
  });

  it("fails on an unknown meta.krm.kcl.dev kind and on an invalid ready annotation", async () => {
    await expect(render(oneStep(`items = [{apiVersion = "meta.krm.kcl.dev/v1alpha1", kind = "Bogus"}]`))).rejects.toThrow(
      /invalid kind "Bogus" for apiVersion "meta.krm.kcl.dev\/v1alpha1"/,
    );
    await expect(render(oneStep(`items = [${cm("a", `, metadata.annotations = {"krm.kcl.dev/ready": "Yes"}`)}]`))).rejects.toThrow(
      /invalid "krm.kcl.dev\/ready" annotation value "Yes"/,
    );
  });

  it("refuses a reserved condition type from Conditions", async () => {
    await expect(
      render(
        oneStep(
          `items = [{apiVersion = "meta.krm.kcl.dev/v1alpha1", kind = "Conditions", conditions = [{condition = {type = "Ready", status = "True", reason = "X"}}]}]`,
        ),
      ),
    ).rejects.toThrow(/Ready is a reserved Crossplane Condition/);
  });

  it("lets a later step replace a resource of an earlier one (same name), readiness included", async () => {
    const r = await render([
      {
        name: "c1",
        steps: [
          { step: "one", kcl: `items = [${cm("a", `, data.v = "1", metadata.annotations = {"krm.kcl.dev/ready": "True"}`)}]` },
          { step: "two", kcl: `items = [${cm("a", `, data.w = "2"`)}]` },
        ],
      },
    ]);
    expect(r.resources[0]!.object.data).toEqual({ w: "2" });
    expect(r.resources[0]!.ready).toBe("Unspecified");
  });

  it("re-runs a step that requests extra resources, with the (empty) result", async () => {
    const src = `_p = option("params")
_got = _p.extraResources
items = [
    {apiVersion = "meta.krm.kcl.dev/v1alpha1", kind = "ExtraResources", requirements = {zones = {apiVersion = "v1", kind = "ConfigMap", matchName = "zones"}}}
    ${cm("a", `, data.seen = ",".join([k for k in _got])`)}
]`;
    const r = await render(oneStep(src));
    expect((r.resources[0]!.object.data as { seen: string }).seen).toBe("zones");
  });

  it("reports an object without apiVersion or kind", async () => {
    await expect(render(oneStep(`items = [{metadata.name = "x"}]`))).rejects.toThrow(/output item 0 has no apiVersion or kind/);
  });

  it("treats an empty program as composing nothing", async () => {
    const r = await render(oneStep(`_hidden = 1`));
    expect(r.resources).toEqual([]);
  });
});

describe("composition selection", () => {
  const two: CompositionSpec[] = [
    { name: "red", labels: { tier: "a", color: "red" }, steps: [{ step: "s", kcl: `items = [${cm("red")}]` }] },
    { name: "blue", labels: { tier: "a", color: "blue" }, steps: [{ step: "s", kcl: `items = [${cm("blue")}]` }] },
  ];
  const sel = (matchLabels: Record<string, string>) => ({ spec: { crossplane: { compositionSelector: { matchLabels } } } });

  it("follows compositionRef, the selector, the XRD default and the enforced composition", async () => {
    expect((await render(two, gadget("g1", { spec: { crossplane: { compositionRef: { name: "blue" } } } }))).composition).toBe("blue");
    expect((await render(two, gadget("g1", sel({ color: "blue" })))).composition).toBe("blue");
    expect((await render(two, gadget("g1", { spec: { compositionSelector: { matchLabels: { color: "red" } } } }))).composition).toBe("red");
    expect((await render(two, gadget("g1"), { defaultComposition: "blue" })).composition).toBe("blue");
    expect((await render(two, gadget("g1", sel({ color: "red" })), { defaultComposition: "blue" })).composition).toBe("red");
    expect((await render(two, gadget("g1", sel({ color: "red" })), { enforced: "blue" })).composition).toBe("blue");
  });

  it("names the selector and the compositions when nothing matches", async () => {
    await expect(render(two, gadget("g1", sel({ color: "green" })))).rejects.toThrow(
      /g1\.yaml: no composition for example.org\/v1 Gadget matches spec.crossplane.compositionSelector.matchLabels \{color=green\}; the package has: red \[tier=a, color=red\], blue/,
    );
  });

  it("refuses an ambiguous selector instead of picking at random", async () => {
    await expect(render(two, gadget("g1", sel({ tier: "a" })))).rejects.toThrow(/2 compositions match .* \(red, blue\); Crossplane would pick one at random/);
  });

  it("refuses to guess when the XR selects nothing and several compositions fit", async () => {
    await expect(render(two, gadget("g1"))).rejects.toThrow(
      /the XR selects no composition .* and 2 compositions compose example.org\/v1 Gadget \(red, blue\); Crossplane would pick one at random/,
    );
  });

  it("names a missing composition and an incompatible one", async () => {
    await expect(render(two, gadget("g1", { spec: { crossplane: { compositionRef: { name: "green" } } } }))).rejects.toThrow(
      /names composition "green", but the package has no composition of that name \(it has red/,
    );
    const other: CompositionSpec[] = [...two, { name: "v2", apiVersion: "example.org/v2", steps: [{ step: "s", kcl: "" }] }];
    await expect(render(other, gadget("g1", { spec: { crossplane: { compositionRef: { name: "v2" } } } }))).rejects.toThrow(
      /composes example.org\/v2 Gadget, not example.org\/v1 Gadget/,
    );
  });

  it("lets --composition override the XR's choice", async () => {
    const p = tempPackage(two);
    pkgs.push(p);
    const r = await renderXr(engine, loadPackage(p.dir), gadget("g1", sel({ color: "red" })) as KubeObject, { composition: "blue" });
    expect(r.composition).toBe("blue");
  });
});

describe("unsupported steps", () => {
  it("names the function and the step and points at --engine crossplane", async () => {
    const err = await render([
      { name: "c1", steps: [{ step: "patch", fn: "function-patch-and-transform", input: { apiVersion: "pt.fn.crossplane.io/v1beta1", kind: "Resources" } }] },
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RenderError);
    expect((err as Error).message).toBe(
      'g1.yaml: composition c1, step "patch" (function-patch-and-transform): unsupported function function-patch-and-transform in step patch — use --engine crossplane',
    );
  });

  it("recognises function-kcl by its KCLRun input, not by the Function's name", async () => {
    const r = await render([{ name: "c1", steps: [{ step: "s", fn: "my-renamed-kcl", kcl: `items = [${cm("a")}]` }] }]);
    expect(r.resources.map((x) => x.name)).toEqual(["a"]);
  });
});
