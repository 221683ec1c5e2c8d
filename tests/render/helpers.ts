/** Small packages built in temp dirs, for render tests that need a composition of their own. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ROOT } from "../../scripts/lib/paths.js";

export const WIDGETS = join(ROOT, "tests", "render", "fixtures", "widgets");

export interface StepSpec {
  step: string;
  /** Inline KCL source: a function-kcl step. */
  kcl?: string;
  params?: Record<string, unknown>;
  /** Function name (default "function-kcl" for KCL steps). */
  fn?: string;
  input?: Record<string, unknown>;
}

export interface CompositionSpec {
  name: string;
  labels?: Record<string, string>;
  steps: StepSpec[];
  apiVersion?: string;
}

export interface TempPackage {
  dir: string;
  /** Writes a file into the temp dir (outside the package), returns its path. */
  file(name: string, content: string | object[]): string;
  remove(): void;
}

export const GADGET = { apiVersion: "example.org/v1", kind: "Gadget" };

/** A package with a Gadget XRD (default composition: the first) and the given compositions. */
export function tempPackage(compositions: CompositionSpec[], xrd: { defaultComposition?: string; enforced?: string } = {}): TempPackage {
  const root = mkdtempSync(join(tmpdir(), "render-pkg-"));
  const dir = join(root, "package");
  mkdirSync(dir, { recursive: true });
  const definition = {
    apiVersion: "apiextensions.crossplane.io/v2",
    kind: "CompositeResourceDefinition",
    metadata: { name: "gadgets.example.org" },
    spec: {
      group: "example.org",
      names: { kind: "Gadget", plural: "gadgets" },
      scope: "Namespaced",
      ...(xrd.defaultComposition ? { defaultCompositionRef: { name: xrd.defaultComposition } } : {}),
      ...(xrd.enforced ? { enforcedCompositionRef: { name: xrd.enforced } } : {}),
      versions: [
        {
          name: "v1",
          served: true,
          referenceable: true,
          schema: { openAPIV3Schema: { type: "object", properties: { spec: { type: "object", properties: { color: { type: "string", default: "red" } } } } } },
        },
      ],
    },
  };
  writeFileSync(join(dir, "definition.yaml"), stringify(definition));
  const docs = compositions.map((c) => ({
    apiVersion: "apiextensions.crossplane.io/v1",
    kind: "Composition",
    metadata: { name: c.name, ...(c.labels ? { labels: c.labels } : {}) },
    spec: {
      compositeTypeRef: { apiVersion: c.apiVersion ?? GADGET.apiVersion, kind: GADGET.kind },
      mode: "Pipeline",
      pipeline: c.steps.map((s) => ({
        step: s.step,
        functionRef: { name: s.fn ?? (s.kcl !== undefined ? "function-kcl" : "function-auto-ready") },
        ...(s.kcl !== undefined
          ? { input: { apiVersion: "krm.kcl.dev/v1alpha1", kind: "KCLRun", spec: { source: s.kcl, ...(s.params ? { params: s.params } : {}) } } }
          : s.input
            ? { input: s.input }
            : {}),
      })),
    },
  }));
  writeFileSync(join(dir, "compositions.yaml"), docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n"));
  return {
    dir,
    file(name, content) {
      const p = join(root, name);
      writeFileSync(p, typeof content === "string" ? content : content.map((d) => stringify(d)).join("---\n"));
      return p;
    },
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** A Gadget XR. */
export function gadget(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...GADGET, metadata: { name, namespace: "ns1" }, spec: {}, ...extra };
}
