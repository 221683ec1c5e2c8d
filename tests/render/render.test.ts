/**
 * The local render on a package that is not ours (tests/render/fixtures/widgets): Crossplane's
 * output shape, function-kcl's inputs and output rules, function-auto-ready, XRD defaults.
 * Expected values are derived from the fixture's inputs, not copied from the output.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { renderCases } from "../../scripts/lib/cases.js";
import { createEngine, type KclEngine } from "../../scripts/lib/kcl/index.js";
import {
  loadPackage,
  parseRenderStream,
  renderXr,
  toRenderStream,
  type KubeObject,
  type LoadedPackage,
  type RenderResult,
} from "../../scripts/lib/render/index.js";
import { WIDGETS } from "./helpers.js";

let engine: KclEngine;
let pkg: LoadedPackage;
const caseFile = (name: string) => join(WIDGETS, "cases", name + ".yaml");
const readCase = (name: string) => parse(readFileSync(caseFile(name), "utf8")) as KubeObject;
const readObserved = (name: string) => parseAllDocuments(readFileSync(caseFile(name + ".observed"), "utf8")).map((d) => d.toJS() as KubeObject);
const byName = (r: RenderResult, name: string) => r.resources.find((c) => c.name === name)!;

beforeAll(async () => {
  engine = await createEngine({ workers: 2 });
  pkg = loadPackage(join(WIDGETS, "package"));
});
afterAll(async () => engine?.close());

describe("render output has crossplane render's shape", () => {
  let xr: KubeObject;
  let result: RenderResult;
  beforeAll(async () => {
    xr = readCase("basic");
    result = await renderXr(engine, pkg, xr, { source: "basic.yaml" });
  });

  it("selects the XRD's default composition when the XR names none", () => {
    const xrd = pkg.xrds[0]!;
    expect(result.composition).toBe((xrd.spec as { defaultCompositionRef: { name: string } }).defaultCompositionRef.name);
  });

  it("prints the XR first with only apiVersion, kind, name, namespace and status", () => {
    const [first] = result.stream;
    expect(first).toBe(result.xr);
    expect(Object.keys(first!).sort()).toEqual(["apiVersion", "kind", "metadata", "status"]);
    expect(first!.metadata).toEqual({ name: xr.metadata!.name, namespace: xr.metadata!.namespace });
    expect(first!.apiVersion).toBe(xr.apiVersion);
  });

  it("sorts composed resources by composition resource name and marks each with Crossplane's metadata", () => {
    const names = result.resources.map((r) => r.name);
    expect(names).toEqual([...names].sort());
    expect(result.stream.slice(1)).toEqual(result.resources.map((r) => r.object));
    for (const r of result.resources) {
      const md = r.object.metadata!;
      expect(md.annotations!["crossplane.io/composition-resource-name"]).toBe(r.name);
      expect(Object.keys(md.annotations!).filter((k) => k.startsWith("krm.kcl.dev/"))).toEqual([]);
      expect(md.labels!["crossplane.io/composite"]).toBe(xr.metadata!.name);
      expect(md.namespace).toBe(xr.metadata!.namespace);
      expect(md.ownerReferences).toEqual([
        { apiVersion: xr.apiVersion, kind: xr.kind, name: xr.metadata!.name, uid: "", controller: true, blockOwnerDeletion: true },
      ]);
    }
  });

  it("gives generateName <xr>- only to resources the function left unnamed", () => {
    for (const r of result.resources) {
      const md = r.object.metadata!;
      if (md.name) expect(md.generateName).toBeUndefined();
      else expect(md.generateName).toBe(`${xr.metadata!.name}-`);
    }
    expect(result.resources.some((r) => !r.object.metadata!.name)).toBe(true);
  });

  it("sets the XR's Ready condition from the resources' readiness, time pinned", () => {
    const conditions = (result.xr.status as { conditions: Record<string, string>[] }).conditions;
    const names = result.resources.map((r) => r.name);
    expect(conditions).toEqual([
      { type: "Ready", status: "False", reason: "Creating", message: `Unready resources: ${names.join(", ")}`, lastTransitionTime: "2024-01-01T00:00:00Z" },
    ]);
    expect(result.resources.every((r) => r.ready === "Unspecified")).toBe(true);
  });

  it("applies the XRD's schema defaults before the functions see the XR, also inside list items", () => {
    const params = (result.observedXr.spec as { parameters: { size: string; ports: { port: number; protocol: string }[] } }).parameters;
    expect(params.size).toBe("small");
    const given = (xr.spec as { parameters: { ports: { protocol?: string }[] } }).parameters.ports;
    expect(params.ports.map((p) => p.protocol)).toEqual(given.map((p) => p.protocol ?? "TCP"));
    const data = byName(result, "config").object.data as Record<string, string>;
    expect(data.size).toBe(params.size);
    expect(data.protocols).toBe(params.ports.map((p) => p.protocol).join(","));
  });

  it("hands the KCLRun's spec.params to the program next to function-kcl's own keys", () => {
    const comp = pkg.compositions.find((c) => c.metadata!.name === result.composition)!;
    const step = (comp.spec as { pipeline: { input?: { spec: { params?: { team: string } } } }[] }).pipeline[0]!;
    expect((byName(result, "config").object.data as Record<string, string>).team).toBe(step.input!.spec.params!.team);
  });

  it("prints the stream as YAML documents that parse back to the same objects", () => {
    const text = toRenderStream(result);
    expect(text.startsWith("---\n")).toBe(true);
    expect(parseRenderStream(text, "x")).toEqual(result.stream);
    expect(toRenderStream(result)).toBe(text);
  });
});

describe("a pipeline of several function-kcl steps", () => {
  let result: RenderResult;
  let xr: KubeObject;
  beforeAll(async () => {
    xr = readCase("fancy");
    result = await renderXr(engine, pkg, xr);
  });
  const status = () => result.xr.status as Record<string, unknown>;

  it("selects the composition by the XR's selector labels", () => {
    const labels = (xr.spec as { crossplane: { compositionSelector: { matchLabels: Record<string, string> } } }).crossplane.compositionSelector.matchLabels;
    const comp = pkg.compositions.find((c) => c.metadata!.name === result.composition)!;
    expect(comp.metadata!.labels).toMatchObject(labels);
  });

  it("passes the desired state, the desired XR and the context from step to step", () => {
    // Step one writes Context data and phase; step two reads them through ctx, dxr and dcds.
    expect(status().size).toBe((xr.spec as { parameters: { size: string } }).parameters.size);
    expect(status().previous).toBe(status().phase);
    expect(status().seen).toEqual(["svc", `${xr.metadata!.name}-secret`].sort());
  });

  it("merges each step's XR status deeply into the desired XR", () => {
    expect(status().nested).toEqual({ a: 1, b: 3 });
  });

  it("uses metadata.name as composition resource name when the annotation is absent", () => {
    expect(result.resources.map((r) => r.name)).toContain(`${xr.metadata!.name}-secret`);
  });

  it("turns krm.kcl.dev/ready into readiness and keeps it through function-auto-ready", () => {
    expect(byName(result, `${xr.metadata!.name}-secret`).ready).toBe("True");
    expect(byName(result, "robot").ready).toBe("False");
    const ready = (status().conditions as Record<string, string>[]).find((c) => c.type === "Ready")!;
    expect(ready.message).toBe(
      `Unready resources: ${result.resources
        .filter((r) => r.ready !== "True")
        .map((r) => r.name)
        .join(", ")}`,
    );
  });

  it("adds Conditions to the XR and Events as results", () => {
    const provisioned = (status().conditions as Record<string, string>[]).find((c) => c.type === "Provisioned");
    expect(provisioned).toMatchObject({ status: "True", reason: "Rendered", lastTransitionTime: "2024-01-01T00:00:00Z" });
    expect(result.results).toEqual([{ step: "second", severity: "Warning", message: "an event" }]);
  });
});

describe("observed resources", () => {
  let result: RenderResult;
  let observed: KubeObject[];
  beforeAll(async () => {
    observed = readObserved("observed");
    result = await renderXr(engine, pkg, readCase("observed"), { observed });
  });
  const observedNamed = (crn: string) => observed.find((o) => o.metadata!.annotations!["crossplane.io/composition-resource-name"] === crn)!;

  it("fill the XR status through ocds", () => {
    const deployment = observedNamed("deployment");
    expect((result.xr.status as { availableReplicas: number }).availableReplicas).toBe((deployment.status as { availableReplicas: number }).availableReplicas);
  });

  it("keep the observed resource's name instead of generateName", () => {
    const md = byName(result, "deployment").object.metadata!;
    expect(md.name).toBe(observedNamed("deployment").metadata!.name);
    expect(md.generateName).toBeUndefined();
  });

  it("make resources whose Ready condition is True ready, and the XR available when all are", () => {
    expect(result.resources.map((r) => r.ready)).toEqual(result.resources.map(() => "True"));
    const ready = (result.xr.status as { conditions: Record<string, string>[] }).conditions.find((c) => c.type === "Ready");
    expect(ready).toEqual({ type: "Ready", status: "True", reason: "Available", lastTransitionTime: "2024-01-01T00:00:00Z" });
  });
});

describe("renderCases", () => {
  it("renders every case of a directory with its observed file and is deterministic", async () => {
    const a = await renderCases(engine, pkg, join(WIDGETS, "cases"));
    const b = await renderCases(engine, pkg, join(WIDGETS, "cases"));
    expect(a.map((c) => c.case)).toEqual(["basic", "fancy", "observed"]);
    expect(a.every((c) => c.result && !c.error)).toBe(true);
    expect(a.map((c) => toRenderStream(c.result!))).toEqual(b.map((c) => toRenderStream(c.result!)));
    // The observed file was used: the Deployment kept its observed name.
    const observed = a.find((c) => c.case === "observed")!.result!;
    expect(observed.resources.find((r) => r.name === "deployment")!.object.metadata!.name).toBe(readObserved("observed")[0]!.metadata!.name);
  });
});
