/**
 * function-kcl's RunFunction (crossplane-contrib/function-kcl v0.12.x) over our KCL engine:
 * the inputs it hands the program in option("params"), and the rules it applies to the
 * program's output (target Default). Used in process by the local pipeline and, behind gRPC,
 * by the stand-in function server of `--engine crossplane`.
 */
import type { KclEngine } from "../kcl/engine.js";
import type { FnCondition, FnRequest, FnResponse, FnResult, FnState, Ready, ResourceSelector } from "./fn.js";
import type { KubeObject } from "./types.js";
import { isObject, jsonCopy } from "./yaml.js";

export const KCL_INPUT_API_VERSION = "krm.kcl.dev/v1alpha1";
export const KCL_INPUT_KIND = "KCLRun";
const META_API_VERSION = "meta.krm.kcl.dev/v1alpha1";
const ANNOTATION_READY = "krm.kcl.dev/ready";
const ANNOTATION_NAME = "krm.kcl.dev/composition-resource-name";
const SYSTEM_CONDITIONS = new Set(["Ready", "Synced", "Healthy"]);

/** A step whose input is a KCLRun is a function-kcl step, whatever its Function is called. */
export function isKclInput(input: unknown): boolean {
  return isObject(input) && input.apiVersion === KCL_INPUT_API_VERSION && input.kind === KCL_INPUT_KIND;
}

/** The function reported a fatal result; message as function-kcl words it. */
export class FunctionFatal extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FunctionFatal";
  }
}

export interface KclStepOptions {
  /** File name the KCL engine reports for the inline source (errors point at it). */
  sourceName: string;
  /** Directory the program runs in (relative file reads). */
  workDir?: string;
}

const UNSUPPORTED_CONFIG = ["settings", "overrides", "pathSelectors", "vendor", "sortKeys", "showHidden", "disableNone", "debug", "strictRangeCheck"] as const;

function sourceKind(source: string): string | undefined {
  const s = source.trim();
  if (/^oci:\/\//.test(s)) return "an OCI module";
  if (/^(https?|git|ssh):\/\//.test(s) || /^git@/.test(s) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(s)) return "a remote module";
  if (!s.includes("\n") && /\.k$/.test(s)) return "a local file path";
  return undefined;
}

/** The full params object function-kcl hands the program: spec.params, then its own keys over them. */
export function kclParams(req: FnRequest, spec: Record<string, unknown>): Record<string, unknown> {
  const oxr = req.observed.composite?.resource ?? ({} as KubeObject);
  const dxr: Record<string, unknown> = { ...jsonCopy(req.desired.composite?.resource ?? {}) };
  dxr.apiVersion = oxr.apiVersion;
  dxr.kind = oxr.kind;
  const dcds: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(req.desired.resources)) dcds[name] = { Resource: r.resource, Ready: r.ready ?? "Unspecified" };
  const ocds: Record<string, unknown> = {};
  for (const [name, r] of Object.entries(req.observed.resources)) ocds[name] = { Resource: r.resource, ConnectionDetails: r.connectionDetails ?? {} };
  const wrap = (m: Record<string, KubeObject[]>) => Object.fromEntries(Object.entries(m).map(([k, items]) => [k, items.map((Resource) => ({ Resource }))]));
  const params: Record<string, unknown> = isObject(spec.params) ? { ...spec.params } : {};
  params.oxr = oxr;
  params.dxr = dxr;
  params.dcds = dcds;
  params.ocds = ocds;
  params.ctx = req.context;
  params.extraResources = wrap(req.extraResources);
  params.requiredResources = wrap(req.requiredResources);
  return params;
}

/** Runs one function-kcl step. Throws FunctionFatal for what function-kcl reports as fatal, KclError for KCL errors. */
export async function runFunctionKcl(engine: KclEngine, req: FnRequest, options: KclStepOptions): Promise<FnResponse> {
  const input = req.input;
  if (!isKclInput(input)) throw new FunctionFatal(`cannot get Function input: expected ${KCL_INPUT_API_VERSION} ${KCL_INPUT_KIND}`);
  const spec = isObject(input!.spec) ? input!.spec : {};
  const source = typeof spec.source === "string" ? spec.source : "";
  if (source === "") throw new FunctionFatal("invalid function input: spec.source: Required value: kcl source cannot be empty");
  const kind = sourceKind(source);
  if (kind) throw new FunctionFatal(`spec.source is ${kind} (${source.trim()}); only inline KCL sources can be rendered here`);
  const target = typeof spec.target === "string" && spec.target !== "" ? spec.target : "Default";
  if (["PatchDesired", "PatchResources", "Resources", "XR"].includes(target))
    throw new FunctionFatal(`spec.target ${target} is not supported here; only the Default target is`);
  if (typeof spec.dependencies === "string" && spec.dependencies.trim() !== "")
    throw new FunctionFatal("spec.dependencies (KCL modules from a registry) are not supported here");
  const config = isObject(spec.config) ? spec.config : {};
  for (const key of UNSUPPORTED_CONFIG) {
    const v = config[key];
    if (v === true || (Array.isArray(v) && v.length > 0)) throw new FunctionFatal(`spec.config.${key} is not supported here`);
  }

  const params = kclParams(req, spec);
  const functionConfig = {
    apiVersion: KCL_INPUT_API_VERSION,
    kind: KCL_INPUT_KIND,
    metadata: isObject(input!.metadata) ? input!.metadata : {},
    spec: { ...spec, target, params },
  };
  const docs = await engine.run({
    sources: [{ filename: options.sourceName, code: source }],
    options: { params, items: [], resource_list: { apiVersion: "config.kubernetes.io/v1", kind: "ResourceList", items: [], functionConfig } },
    workDir: options.workDir,
  });
  return processOutput(req, unwrapItems(docs));
}

/** krm-kcl's unwrapping: one document with `items` yields the items, one without yields itself, several yield all. */
export function unwrapItems(docs: unknown[]): Record<string, unknown>[] {
  let items: unknown[];
  if (docs.length === 0) items = [];
  else if (docs.length === 1) {
    const doc = docs[0];
    if (isObject(doc) && "items" in doc) {
      if (doc.items !== null && !Array.isArray(doc.items)) throw new FunctionFatal("failed to run kcl function pipelines: the program's `items` is not a list");
      items = (doc.items as unknown[] | null) ?? [];
    } else items = [doc];
  } else items = docs.filter((d) => !(isObject(d) && d.apiVersion === KCL_INPUT_API_VERSION && d.kind === KCL_INPUT_KIND));
  const out: Record<string, unknown>[] = [];
  items.forEach((item, i) => {
    if (item === null || item === undefined) return;
    if (!isObject(item))
      throw new FunctionFatal(
        `cannot parse data resources from the pipeline output: item ${i} is ${Array.isArray(item) ? "a list" : typeof item}, not an object`,
      );
    // A program that defines nothing prints {}: no resources (function-kcl would compose an unnamed, kind-less object).
    if (Object.keys(item).length === 0) return;
    // Stricter than function-kcl, which composes such an object and leaves the failure to the API server.
    if (typeof item.apiVersion !== "string" || !item.apiVersion || typeof item.kind !== "string" || !item.kind) {
      const keys = Object.keys(item).slice(0, 5).join(", ");
      throw new FunctionFatal(
        `output item ${i} has no apiVersion or kind (its keys: ${keys}); every item must be a Kubernetes object (or put the objects in a top-level ` +
          `\`items\` list)`,
      );
    }
    out.push(item);
  });
  return out;
}

function annotationsOf(o: Record<string, unknown>): Record<string, unknown> | undefined {
  const md = o.metadata;
  return isObject(md) && isObject(md.annotations) ? md.annotations : undefined;
}

/** Deep merge with override, as function-kcl merges the XR status (mergo.WithOverride). */
export function mergeOverride(dst: Record<string, unknown>, src: Record<string, unknown>): Record<string, unknown> {
  for (const [k, v] of Object.entries(src)) {
    const cur = dst[k];
    if (isObject(v) && isObject(cur)) mergeOverride(cur, v);
    else dst[k] = jsonCopy(v);
  }
  return dst;
}

function conditionStatus(s: unknown): FnCondition["status"] {
  return s === "True" ? "True" : s === "False" ? "False" : "Unknown";
}

/** Applies the program's output to the desired state (function-kcl's ProcessResources, target Default). */
export function processOutput(req: FnRequest, items: Record<string, unknown>[]): FnResponse {
  const oxr = req.observed.composite?.resource;
  const dxr: Record<string, unknown> = jsonCopy(req.desired.composite?.resource ?? {});
  dxr.apiVersion = oxr?.apiVersion;
  dxr.kind = oxr?.kind;
  const xrConnection = { ...(req.desired.composite?.connectionDetails ?? {}) };
  const desired: FnState["resources"] = { ...req.desired.resources };
  const seen = new Map<string, string>();
  const extra: Record<string, ResourceSelector> = {};
  const required: Record<string, ResourceSelector> = {};
  const conditions: unknown[] = [];
  const events: unknown[] = [];
  let contextData: Record<string, unknown> = {};

  for (const original of items) {
    const obj = jsonCopy(original);
    const apiVersion = typeof obj.apiVersion === "string" ? obj.apiVersion : "";
    const kind = typeof obj.kind === "string" ? obj.kind : "";
    if (oxr && apiVersion === oxr.apiVersion && kind === oxr.kind) {
      const dst = isObject(dxr.status) ? dxr.status : {};
      dxr.status = mergeOverride(dst, isObject(obj.status) ? obj.status : {});
      continue;
    }
    if (apiVersion === META_API_VERSION) {
      switch (kind) {
        case "CompositeConnectionDetails":
          for (const [k, v] of Object.entries(isObject(obj.data) ? obj.data : {})) if (typeof v === "string") xrConnection[k] = v;
          break;
        case "ExtraResources":
        case "RequiredResources": {
          const into = kind === "ExtraResources" ? extra : required;
          for (const [k, v] of Object.entries(isObject(obj.requirements) ? obj.requirements : {})) {
            if (k in into)
              throw new FunctionFatal(
                `cannot process xr and state with the pipeline output: duplicate ${kind === "ExtraResources" ? "extra" : "required"} resource key "${k}"`,
              );
            const r = isObject(v) ? v : {};
            const sel: ResourceSelector = { apiVersion: String(r.apiVersion ?? ""), kind: String(r.kind ?? "") };
            if (typeof r.matchNamespace === "string" && r.matchNamespace) sel.namespace = r.matchNamespace;
            if (typeof r.matchName === "string" && r.matchName) sel.matchName = r.matchName;
            else sel.matchLabels = isObject(r.matchLabels) ? (r.matchLabels as Record<string, string>) : {};
            into[k] = sel;
          }
          break;
        }
        case "Conditions":
          if (Array.isArray(obj.conditions)) conditions.splice(0, conditions.length, ...obj.conditions);
          break;
        case "Events":
          if (Array.isArray(obj.events)) events.splice(0, events.length, ...obj.events);
          break;
        case "Context":
          if (isObject(obj.data)) contextData = obj.data;
          break;
        default:
          throw new FunctionFatal(
            `cannot process xr and state with the pipeline output: invalid kind "${kind}" for apiVersion "${META_API_VERSION}" - must be ` +
              `CompositeConnectionDetails or ExtraResources`,
          );
      }
      continue;
    }
    const annotations = annotationsOf(obj);
    let ready: Ready = "Unspecified";
    if (annotations && ANNOTATION_READY in annotations) {
      const v = annotations[ANNOTATION_READY];
      if (v !== "True" && v !== "False" && v !== "Unspecified") {
        throw new FunctionFatal(
          `cannot process xr and state with the pipeline output: invalid function input: invalid "${ANNOTATION_READY}" annotation value "${String(v)}": ` +
            `must be True, False, or Unspecified`,
        );
      }
      ready = v;
      delete annotations[ANNOTATION_READY];
    }
    const md = isObject(obj.metadata) ? obj.metadata : {};
    let name: string;
    if (annotations && ANNOTATION_NAME in annotations) {
      name = String(annotations[ANNOTATION_NAME]);
      delete annotations[ANNOTATION_NAME];
    } else name = typeof md.name === "string" ? md.name : "";
    const kindAndName = `${kind}/${typeof md.name === "string" ? md.name : ""}`;
    const before = seen.get(name);
    if (before !== undefined) {
      throw new FunctionFatal(
        `cannot process xr and state with the pipeline output: multiple composed resources with name "${name}" returned: ${before} and ${kindAndName}. Set ` +
          `different metadata.name or metadata.annotations."${ANNOTATION_NAME}" to distinguish them.`,
      );
    }
    seen.set(name, kindAndName);
    desired[name] = { resource: obj as KubeObject, ready };
  }

  const results: FnResult[] = [];
  const fnConditions: FnCondition[] = [];
  const setTypes = new Set<string>();
  for (const c of conditions) {
    const cr = isObject(c) ? c : {};
    const cond = isObject(cr.condition) ? cr.condition : {};
    const type = String(cond.type ?? "");
    if (SYSTEM_CONDITIONS.has(type)) throw new FunctionFatal(`cannot set ClaimCondition type: ${type} is a reserved Crossplane Condition`);
    if (setTypes.has(type) && cr.force !== true) continue;
    fnConditions.push({
      type,
      status: conditionStatus(cond.status),
      reason: String(cond.reason ?? ""),
      ...(typeof cond.message === "string" ? { message: cond.message } : {}),
    });
    setTypes.add(type);
  }
  for (const e of events) {
    const ev = isObject(e) && isObject(e.event) ? e.event : {};
    const type = ev.type ?? "Normal";
    if (type !== "Normal" && type !== "Warning") throw new FunctionFatal(`invalid type ${String(type)}, must be one of [Normal, Warning]`);
    results.push({ severity: type, message: String(ev.message ?? ""), ...(typeof ev.reason === "string" ? { reason: ev.reason } : {}) });
  }
  const context = Object.keys(contextData).length ? mergeOverride(jsonCopy(req.context), contextData) : req.context;
  const response: FnResponse = {
    desired: { composite: { resource: dxr as KubeObject, connectionDetails: xrConnection }, resources: desired },
    results,
    context,
    conditions: fnConditions,
  };
  if (Object.keys(extra).length || Object.keys(required).length) response.requirements = { extraResources: extra, resources: required };
  return response;
}
