/**
 * The composition pipeline as `crossplane render` (crank v2.2) runs it: observed state from the
 * XR and the observed resources, desired state handed from step to step, requirements
 * re-run, then the output assembled as crank assembles it (XR with its Ready condition,
 * composed resources with Crossplane's metadata, sorted by composition resource name).
 *
 * Where it deliberately differs from crank + function-kcl (each covered by a test):
 * - The composition is selected as Crossplane selects it (crank is handed one); a tie that
 *   Crossplane would break at random is an error.
 * - The XR always gets its XRD's schema defaults (crank only with --xrd; the API server always).
 * - The XR needs metadata.name; observed resources need crossplane.io/composition-resource-name
 *   and must be resources the composition creates (crank keys unnamed ones under "").
 * - A step's output item without apiVersion or kind is an error (function-kcl composes it and
 *   the API server rejects it later); an empty program output ({}) composes nothing.
 * - function-kcl features that need more than inline KCL (OCI/git/file sources,
 *   spec.dependencies, spec.config flags, targets other than Default, registry credentials)
 *   are refused with a message; option("env") and option("PATH") are not passed.
 * - Output YAML is written by our emitter (keys sorted as crank sorts them, strings quoted
 *   where any YAML 1.1 or 1.2 reader could take them for another type); comparing with crank
 *   means parsing its output and writing it with the same emitter.
 */
import { UserError } from "../errors.js";
import { KclError, type KclEngine } from "../kcl/engine.js";
import { defaultXr } from "./defaults.js";
import type { FnRequest, FnResponse, FnState, StepFunction } from "./fn.js";
import { isAutoReadyFunction, runAutoReady } from "./function-auto-ready.js";
import { FunctionFatal, isKclInput, runFunctionKcl } from "./function-kcl.js";
import { fileOf, locateStepSource } from "./package.js";
import { displayPath, ANNOTATION_RESOURCE_NAME } from "../paths.js";
import { stepOrigin } from "./step-origin.js";
import { findXrd, selectComposition } from "./select.js";
import type { ComposedResource, FunctionResult, KubeObject, LoadedPackage, RenderResult } from "./types.js";
import { isObject, jsonCopy, sortKeys } from "./yaml.js";
import { join } from "node:path";

export { ANNOTATION_RESOURCE_NAME };
export const LABEL_COMPOSITE = "crossplane.io/composite";
const LABEL_CLAIM_NAME = "crossplane.io/claim-name";
const LABEL_CLAIM_NAMESPACE = "crossplane.io/claim-namespace";
/** crossplane render pins every condition's lastTransitionTime to this instant. */
export const CONDITION_TIME = "2024-01-01T00:00:00Z";
const MAX_REQUIREMENT_ITERATIONS = 5;

export interface RenderOptions {
  /** Composition name; overrides the selection (like passing a composition file to crossplane render). */
  composition?: string;
  /** Observed composed resources, each with annotation crossplane.io/composition-resource-name. */
  observed?: KubeObject[];
  /** The XR's file, for messages. */
  source?: string;
  /** The observed resources' file, for messages. */
  observedSource?: string;
  /**
   * Observed resources the pipeline no longer composes are accepted (Crossplane garbage-collects
   * them) instead of being an error; used when a render's output is fed back as observed state.
   */
  observedMayBeGone?: boolean;
}

export interface PipelineStep {
  step: string;
  functionName: string;
  input?: Record<string, unknown>;
  kind: "function-kcl" | "function-auto-ready" | "other";
}

/** Everything decided before any function runs. */
export interface PreparedRender {
  pkg: LoadedPackage;
  source: string;
  /** The XR as given. */
  xr: KubeObject;
  /** The XR with the XRD's defaults: what the functions observe. */
  observedXr: KubeObject;
  xrd?: KubeObject;
  composition: KubeObject;
  compositionName: string;
  steps: PipelineStep[];
  observed: Record<string, KubeObject>;
  observedSource?: string;
  observedMayBeGone?: boolean;
}

/** A failure a person can act on, located at the XR file and (when a step failed) the step. */
export class RenderError extends UserError {
  constructor(
    readonly source: string,
    readonly detail: string,
    readonly step?: string,
  ) {
    super(`${source}: ${detail}`);
    this.name = "RenderError";
  }
}

function objectName(o: KubeObject): string {
  return `${o.kind}/${String(o.metadata?.name ?? o.metadata?.generateName ?? "?")}`;
}

/** Checks the XR and the observed resources, selects the composition, and classifies its steps. */
export function prepareRender(pkg: LoadedPackage, xr: unknown, options: RenderOptions = {}): PreparedRender {
  const source = options.source ?? "XR";
  const fail = (detail: string): never => {
    throw new RenderError(source, detail);
  };
  if (!isObject(xr))
    fail(
      `expected a composite resource (a YAML mapping with apiVersion, kind and metadata.name), got ` +
        `${xr === null || xr === undefined ? "an empty document" : Array.isArray(xr) ? "a list" : typeof xr}`,
    );
  const x = xr as Record<string, unknown>;
  if (typeof x.apiVersion !== "string" || !x.apiVersion) fail("the XR has no apiVersion; add e.g. `apiVersion: devopstoolkit.ai/v2`");
  if (typeof x.kind !== "string" || !x.kind) fail("the XR has no kind; add the composite resource's kind, e.g. `kind: Cluster`");
  const md = x.metadata;
  if (!isObject(md) || typeof md.name !== "string" || !md.name) fail("the XR has no metadata.name; composed resources are named after it, so give it one");
  const xrObj = x as KubeObject;

  let selection;
  let observedXr: KubeObject;
  const xrd = findXrd(pkg, xrObj);
  try {
    selection = selectComposition(pkg, xrObj, options.composition);
    observedXr = defaultXr(xrObj, xrd);
  } catch (err) {
    if (err instanceof UserError) fail(err.message);
    throw err;
  }
  const composition = selection!.composition;
  const compositionName = String(composition.metadata?.name ?? "");
  const where = `composition ${compositionName} (${displayPath(join(pkg.dir, fileOf(pkg, composition) ?? ""))})`;
  const spec = isObject(composition.spec) ? composition.spec : {};
  if (spec.mode !== undefined && spec.mode !== "Pipeline") fail(`${where} uses spec.mode ${String(spec.mode)}; only Pipeline compositions can be rendered`);
  if (!Array.isArray(spec.pipeline) || spec.pipeline.length === 0) fail(`${where} has no spec.pipeline steps`);
  const steps: PipelineStep[] = (spec.pipeline as unknown[]).map((s, i) => {
    const st = isObject(s) ? s : {};
    const step = typeof st.step === "string" && st.step ? st.step : fail(`${where}: pipeline step ${i + 1} has no name (spec.pipeline[${i}].step)`);
    const ref = isObject(st.functionRef) ? st.functionRef : {};
    const functionName = typeof ref.name === "string" && ref.name ? ref.name : fail(`${where}: step "${step}" has no functionRef.name`);
    const input = isObject(st.input) ? st.input : undefined;
    const kind = isKclInput(input) ? "function-kcl" : isAutoReadyFunction(functionName) ? "function-auto-ready" : "other";
    return { step, functionName, input, kind };
  });

  const observed: Record<string, KubeObject> = {};
  const obsSource = options.observedSource ?? "observed resources";
  (options.observed ?? []).forEach((o, i) => {
    if (!isObject(o) || typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
      throw new RenderError(obsSource, `document ${i + 1} is not a Kubernetes object (it needs apiVersion and kind)`);
    }
    const name = o.metadata?.annotations?.[ANNOTATION_RESOURCE_NAME];
    if (typeof name !== "string" || !name) {
      throw new RenderError(
        obsSource,
        `${objectName(o)} has no annotation ${ANNOTATION_RESOURCE_NAME}; it tells which composed resource it is the observed state of`,
      );
    }
    if (observed[name])
      throw new RenderError(obsSource, `two observed resources are composition resource "${name}": ${objectName(observed[name]!)} and ${objectName(o)}`);
    observed[name] = o;
  });
  return {
    pkg,
    source,
    xr: xrObj,
    observedXr: observedXr!,
    xrd,
    composition,
    compositionName,
    steps,
    observed,
    ...(options.observedSource ? { observedSource: options.observedSource } : {}),
    ...(options.observedMayBeGone ? { observedMayBeGone: true } : {}),
  };
}

/** Message prefix naming the composition and step. */
export function stepWhere(p: PreparedRender, s: PipelineStep): string {
  return `composition ${p.compositionName}, step "${s.step}" (${s.kind === "other" ? s.functionName : s.kind})`;
}

/** A KCL error inside a step, pointed at the line of the package file that holds the inline source. */
function kclDetail(p: PreparedRender, s: PipelineStep, err: KclError, sourceName: string): string {
  if (err.file !== sourceName) return err.message;
  return locatedKclMessage(p, s, err.line, err.column, err.kclMessage);
}

/** "package/compositions.yaml:57:9 (line 3 of the step's KCL source): EvaluationError: …" */
export function locatedKclMessage(p: PreparedRender, s: PipelineStep, line: number, column: number, message: string): string {
  const loc = locateStepSource(p.pkg, p.compositionName, s.step, line, column);
  const source = (s.input?.spec as { source?: unknown } | undefined)?.source;
  const origin = typeof source === "string" ? stepOrigin(p.pkg.dir, source) : undefined;
  const at = origin ? `, ${displayPath(join(p.pkg.dir, "..", origin))}:${line}:${column}` : "";
  if (!loc) return `line ${line}:${column} of the step's KCL source${at}: ${message}`;
  return `${displayPath(join(p.pkg.dir, loc.file))}:${loc.line}:${loc.column} (line ${line} of the step's KCL source${at}): ${message}`;
}

export function kclSourceName(composition: string, step: string): string {
  return `${composition}.${step}.k`;
}

/** The in-process function of each step: function-kcl over the engine, function-auto-ready; anything else is refused. */
export function localStepFunctions(engine: KclEngine, p: PreparedRender): StepFunction[] {
  return p.steps.map((s) => {
    if (s.kind === "function-kcl") return (req) => runFunctionKcl(engine, req, { sourceName: kclSourceName(p.compositionName, s.step), workDir: p.pkg.dir });
    if (s.kind === "function-auto-ready") return runAutoReady;
    throw new RenderError(p.source, `${stepWhere(p, s)}: unsupported function ${s.functionName} in step ${s.step} — use --engine crossplane`, s.step);
  });
}

function sameRequirements(a: FnResponse["requirements"], b: FnResponse["requirements"]): boolean {
  const norm = (r: FnResponse["requirements"]) => JSON.stringify(sortKeys({ e: r?.extraResources ?? {}, r: r?.resources ?? {} }));
  return norm(a) === norm(b);
}

/** Runs a step, re-running it while its requirements change (crank's FetchingFunctionRunner; no required resources are supplied). */
async function runStep(fn: StepFunction, req: FnRequest): Promise<FnResponse> {
  let requirements: FnResponse["requirements"];
  for (let i = 0; i <= MAX_REQUIREMENT_ITERATIONS; i++) {
    const rsp = await fn(req);
    if (rsp.results.some((r) => r.severity === "Fatal")) return rsp;
    if (sameRequirements(rsp.requirements, requirements)) return rsp;
    requirements = rsp.requirements;
    req = {
      ...req,
      extraResources: Object.fromEntries(Object.keys(requirements?.extraResources ?? {}).map((k) => [k, []])),
      requiredResources: Object.fromEntries(Object.keys(requirements?.resources ?? {}).map((k) => [k, []])),
      context: rsp.context,
    };
  }
  throw new FunctionFatal(`requirements didn't stabilize after the maximum number of iterations (${MAX_REQUIREMENT_ITERATIONS})`);
}

/** Runs the pipeline with one function per step and assembles the output. */
export async function runPipeline(p: PreparedRender, functions: StepFunction[]): Promise<RenderResult> {
  const observedState: FnState = {
    composite: { resource: p.observedXr },
    resources: Object.fromEntries(Object.entries(p.observed).map(([name, resource]) => [name, { resource }])),
  };
  let desired: FnState = { resources: {} };
  let context: Record<string, unknown> = {};
  const conditions: FnResponse["conditions"] = [];
  const results: FunctionResult[] = [];
  for (const [i, s] of p.steps.entries()) {
    const req: FnRequest = { observed: observedState, desired, input: s.input, context, extraResources: {}, requiredResources: {} };
    let rsp: FnResponse;
    try {
      rsp = await runStep(functions[i]!, req);
    } catch (err) {
      if (err instanceof KclError)
        throw new RenderError(p.source, `${stepWhere(p, s)}: ${kclDetail(p, s, err, kclSourceName(p.compositionName, s.step))}`, s.step);
      if (err instanceof FunctionFatal || err instanceof UserError) throw new RenderError(p.source, `${stepWhere(p, s)}: ${err.message}`, s.step);
      throw err;
    }
    const fatal = rsp.results.find((r) => r.severity === "Fatal");
    if (fatal) throw new RenderError(p.source, `${stepWhere(p, s)} returned a fatal result: ${fatal.message}`, s.step);
    desired = rsp.desired;
    context = rsp.context;
    conditions.push(...rsp.conditions);
    for (const r of rsp.results) results.push({ step: s.step, severity: r.severity === "Warning" ? "Warning" : "Normal", message: r.message });
  }
  return assemble(p, desired, conditions, results);
}

function metadataOf(o: Record<string, unknown>): Record<string, unknown> {
  if (!isObject(o.metadata)) o.metadata = {};
  return o.metadata as Record<string, unknown>;
}

/** Sets or, for an empty value, removes a metadata string field (as Kubernetes' unstructured setters do). */
function setMeta(o: Record<string, unknown>, field: string, value: unknown): void {
  const md = metadataOf(o);
  if (typeof value === "string" && value !== "") md[field] = value;
  else delete md[field];
}

/** Crossplane's standard metadata on a composed resource (crank's SetComposedResourceMetadata). */
export function setComposedMetadata(cd: Record<string, unknown>, xr: KubeObject, name: string): void {
  const xrLabels = xr.metadata?.labels ?? {};
  const prefix = xrLabels[LABEL_COMPOSITE] || String(xr.metadata?.name ?? "");
  const md = metadataOf(cd);
  if (!md.name && !md.generateName) md.generateName = `${prefix}-`;
  if (xr.metadata?.namespace) md.namespace = xr.metadata.namespace;
  md.annotations = { ...(isObject(md.annotations) ? md.annotations : {}), [ANNOTATION_RESOURCE_NAME]: name };
  const labels: Record<string, unknown> = { ...(isObject(md.labels) ? md.labels : {}), [LABEL_COMPOSITE]: prefix };
  if (xrLabels[LABEL_CLAIM_NAME] && xrLabels[LABEL_CLAIM_NAMESPACE]) {
    labels[LABEL_CLAIM_NAMESPACE] = xrLabels[LABEL_CLAIM_NAMESPACE];
    labels[LABEL_CLAIM_NAME] = xrLabels[LABEL_CLAIM_NAME];
  }
  md.labels = labels;
  const uid = typeof xr.metadata?.uid === "string" ? xr.metadata.uid : "";
  const ref = { apiVersion: xr.apiVersion, kind: xr.kind, name: String(xr.metadata?.name ?? ""), uid, controller: true, blockOwnerDeletion: true };
  const refs = Array.isArray(md.ownerReferences) ? (md.ownerReferences as Record<string, unknown>[]) : [];
  const controller = refs.find((r) => isObject(r) && r.controller === true);
  if (controller && (controller.uid ?? "") !== uid) {
    throw new UserError(
      `composed resource "${name}" (${String(md.name ?? "")}) is already controlled by ${String(controller.kind)} ${String(controller.name)} (UID ` +
        `${String(controller.uid)})`,
    );
  }
  const same = refs.findIndex((r) => isObject(r) && (r.uid ?? "") === uid);
  md.ownerReferences = same >= 0 ? refs.map((r, i) => (i === same ? ref : r)) : [...refs, ref];
}

/** Every observed resource must be one the pipeline composes (an observed file describes this XR's resources). */
export function checkObservedComposed(p: PreparedRender, composedNames: readonly string[]): void {
  const composed = new Set(composedNames);
  for (const name of Object.keys(p.observed)) {
    if (!composed.has(name)) {
      throw new RenderError(
        p.source,
        `observed resource "${name}" (${objectName(p.observed[name]!)}${p.observedSource ? ` in ${p.observedSource}` : ""}) is not one composition ` +
          `${p.compositionName} creates; ` +
          `fix its ${ANNOTATION_RESOURCE_NAME} annotation or remove it (the composition creates: ${someNames([...composedNames], 10)})`,
      );
    }
  }
}

/** "a, b, and c" / "a, b, c, and 2 more", over sorted names (crossplane-runtime's StableNAndSomeMore, n = 3). */
export function someNames(names: string[], n = 3): string {
  const s = [...names].sort();
  if (s.length > n) return `${s.slice(0, n).join(", ")}, and ${s.length - n} more`;
  if (s.length === n) return `${s.slice(0, n - 1).join(", ")}, and ${s[n - 1]}`;
  return s.join(", ");
}

interface Condition {
  type: string;
  status: string;
  lastTransitionTime: string | null;
  reason: string;
  message?: string;
  observedGeneration?: number;
}

function sameCondition(a: Condition, b: Condition): boolean {
  return a.type === b.type && a.status === b.status && a.reason === b.reason && (a.message ?? "") === (b.message ?? "");
}

function parseConditions(status: Record<string, unknown>): Condition[] {
  if (!Array.isArray(status.conditions)) return [];
  return status.conditions.filter(isObject).map((c) => {
    const out: Condition = {
      type: String(c.type ?? ""),
      status: String(c.status ?? ""),
      lastTransitionTime: typeof c.lastTransitionTime === "string" ? c.lastTransitionTime : null,
      reason: String(c.reason ?? ""),
    };
    if (typeof c.message === "string" && c.message) out.message = c.message;
    if (typeof c.observedGeneration === "number" && c.observedGeneration) out.observedGeneration = c.observedGeneration;
    return out;
  });
}

/** ConditionedStatus.SetConditions: replace a condition of the same type unless only its time differs. */
function setCondition(list: Condition[], c: Condition): void {
  let exists = false;
  list.forEach((existing, i) => {
    if (existing.type !== c.type) return;
    exists = true;
    if (!sameCondition(existing, c)) list[i] = c;
  });
  if (!exists) list.push(c);
}

function assemble(p: PreparedRender, desired: FnState, fnConditions: FnResponse["conditions"], results: FunctionResult[]): RenderResult {
  const names = Object.keys(desired.resources).sort();
  const unready: string[] = [];
  const resources: ComposedResource[] = [];
  for (const name of names) {
    const dr = desired.resources[name]!;
    const ready = dr.ready ?? "Unspecified";
    if (ready !== "True") unready.push(name);
    const cd = jsonCopy(dr.resource) as Record<string, unknown>;
    const observed = p.observed[name];
    if (observed) {
      setMeta(cd, "namespace", observed.metadata?.namespace);
      setMeta(cd, "name", observed.metadata?.name);
      setMeta(cd, "generateName", observed.metadata?.generateName);
    }
    try {
      setComposedMetadata(cd, p.observedXr, name);
    } catch (err) {
      if (err instanceof UserError) throw new RenderError(p.source, err.message);
      throw err;
    }
    resources.push({ name, object: sortKeys(cd) as KubeObject, ready });
  }
  if (!p.observedMayBeGone) checkObservedComposed(p, names);

  const xr = jsonCopy(desired.composite?.resource ?? {}) as Record<string, unknown>;
  xr.apiVersion = p.xr.apiVersion;
  xr.kind = p.xr.kind;
  setMeta(xr, "name", p.xr.metadata?.name);
  setMeta(xr, "namespace", p.xr.metadata?.namespace);
  const status = isObject(xr.status) ? xr.status : ((xr.status = {}) as Record<string, unknown>);
  const conditions = parseConditions(status);
  const compositeReady = desired.composite?.ready ?? "Unspecified";
  let xrCond: Condition = { type: "Ready", status: "True", lastTransitionTime: CONDITION_TIME, reason: "Available" };
  if (compositeReady === "False") xrCond = { type: "Ready", status: "False", lastTransitionTime: CONDITION_TIME, reason: "Creating" };
  else if (compositeReady === "Unspecified" && unready.length > 0) {
    xrCond = { type: "Ready", status: "False", lastTransitionTime: CONDITION_TIME, reason: "Creating", message: `Unready resources: ${someNames(unready)}` };
  }
  setCondition(conditions, xrCond);
  for (const c of fnConditions) {
    if (c.type === "Ready" || c.type === "Synced" || c.type === "Healthy") continue;
    const cond: Condition = { type: c.type, status: c.status, lastTransitionTime: CONDITION_TIME, reason: c.reason };
    if (c.message) cond.message = c.message;
    setCondition(conditions, cond);
  }
  status.conditions = conditions;
  const xrOut = sortKeys(xr) as KubeObject;
  return {
    xr: xrOut,
    resources,
    composition: p.compositionName,
    stream: [xrOut, ...resources.map((r) => r.object)],
    observedXr: p.observedXr,
    results,
  };
}

/** Renders an XR with the package's composition on the local engine (our function-kcl and function-auto-ready). */
export async function renderXr(engine: KclEngine, pkg: LoadedPackage, xr: KubeObject, options: RenderOptions = {}): Promise<RenderResult> {
  const prepared = prepareRender(pkg, xr, options);
  return runPipeline(prepared, localStepFunctions(engine, prepared));
}
