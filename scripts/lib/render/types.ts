/**
 * The shapes the render layer hands to every later stage (golden files, verify, validate).
 * Owned by the render module; verify and validate only read them.
 */

export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata?: Record<string, unknown> & { name?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
};

/** A Crossplane package directory, parsed. */
export interface LoadedPackage {
  dir: string;
  /** meta.pkg.crossplane.io Configuration (crossplane.yaml), if present. */
  configuration?: KubeObject;
  /** CompositeResourceDefinitions found in the package. */
  xrds: KubeObject[];
  /** Compositions found in the package. */
  compositions: KubeObject[];
  /** Every document of every YAML file, with the file it came from (relative to dir). */
  documents: { file: string; object: KubeObject }[];
}

/** One composed resource as `crossplane render` prints it. */
export interface ComposedResource {
  /** Composition resource name (crossplane.io/composition-resource-name). */
  name: string;
  object: KubeObject;
  /** Readiness computed by the pipeline (function-kcl's krm.kcl.dev/ready, function-auto-ready). */
  ready: "True" | "False" | "Unspecified";
}

export interface RenderResult {
  /** The composite resource with the status the pipeline wrote. */
  xr: KubeObject;
  /** Composed resources, sorted by composition resource name. */
  resources: ComposedResource[];
  /** Name of the composition that was selected. */
  composition: string;
  /** The whole output as crossplane render prints it: XR first, then resources. */
  stream: KubeObject[];
  /** The XR the pipeline observed: the input with the XRD's schema defaults applied. */
  observedXr: KubeObject;
  /** Non-fatal results the functions returned (`crossplane render -r` prints them). */
  results: FunctionResult[];
}

/** One non-fatal result of a pipeline step. */
export interface FunctionResult {
  step: string;
  severity: "Normal" | "Warning";
  message: string;
}

/** One example XR under tests/cases/ (file <case>.yaml, optional <case>.observed.yaml). */
export interface RenderedCase {
  case: string;
  file: string;
  result?: RenderResult;
  /** The observed composed resources the case was rendered with (<case>.observed.yaml). */
  observed?: KubeObject[];
  /** Set when the case failed to render: a message naming the case file and step. */
  error?: string;
}
