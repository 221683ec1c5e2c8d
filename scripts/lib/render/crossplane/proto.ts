/**
 * Crossplane's function protocol (proto/fn/v1/run_function.proto of the pinned crossplane
 * module) loaded for @grpc/grpc-js, and conversions between its messages and the plain
 * data of ../fn.ts.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { UserError } from "../../errors.js";
import { goModDownload } from "../../gomod.js";
import { goModulePin } from "../../tools.js";
import type { FnCondition, FnRequest, FnResponse, FnResource, FnResult, FnState, Ready } from "../fn.js";
import type { KubeObject } from "../types.js";

const PROTO = join("proto", "fn", "v1", "run_function.proto");

/** The directory of the pinned crossplane Go module (where crank's sources and protos are). */
export async function crossplaneModuleDir(): Promise<string> {
  const pin = goModulePin("crossplane");
  const r = await goModDownload(pin.module, pin.version, { env: { GOFLAGS: "-mod=readonly" } });
  if (!r.ok || !existsSync(join(r.dir, PROTO))) {
    const why = r.ok ? `not in ${r.dir}` : `go mod download: ${r.message.split("\n")[0]}`;
    throw new UserError(`cannot find ${PROTO} of ${pin.module}@${pin.version} (${why}); --engine crossplane needs Go and the Go module proxy`);
  }
  return r.dir;
}

export interface FunctionProto {
  /** Service definition to add to a grpc.Server. */
  service: grpc.ServiceDefinition;
  /** Client constructor for the same service. */
  Client: grpc.ServiceClientConstructor;
}

let loaded: Promise<FunctionProto> | undefined;

/** Loads the protocol once per process. */
export function loadFunctionProto(): Promise<FunctionProto> {
  loaded ??= (async () => {
    const dir = await crossplaneModuleDir();
    const def = await protoLoader.load(join(dir, PROTO), { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true, bytes: String });
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      apiextensions: { fn: { proto: { v1: { FunctionRunnerService: grpc.ServiceClientConstructor } } } };
    };
    const Client = pkg.apiextensions.fn.proto.v1.FunctionRunnerService;
    return { service: Client.service, Client };
  })();
  return loaded;
}

// google.protobuf.Struct / Value as proto-loader decodes them (oneofs: true gives `kind`).
interface PValue {
  kind?: string;
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: PStruct;
  listValue?: { values?: PValue[] };
}
export interface PStruct {
  fields?: Record<string, PValue>;
}

export function fromValue(v: PValue | undefined): unknown {
  switch (v?.kind) {
    case "numberValue":
      return v.numberValue;
    case "stringValue":
      return v.stringValue;
    case "boolValue":
      return v.boolValue;
    case "structValue":
      return fromStruct(v.structValue);
    case "listValue":
      return (v.listValue?.values ?? []).map(fromValue);
    default:
      return null;
  }
}

export function fromStruct(s: PStruct | undefined | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v);
  return out;
}

export function toValue(v: unknown): PValue {
  if (v === null || v === undefined) return { nullValue: "NULL_VALUE" };
  if (typeof v === "number") return { numberValue: v };
  if (typeof v === "string") return { stringValue: v };
  if (typeof v === "boolean") return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as Record<string, unknown>) };
}

export function toStruct(o: Record<string, unknown>): PStruct {
  const fields: Record<string, PValue> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) fields[k] = toValue(v);
  return { fields };
}

// Messages of run_function.proto, as proto-loader decodes them (camelCase, enums as names, bytes as base64).
interface PResource {
  resource?: PStruct | null;
  connectionDetails?: Record<string, string>;
  ready?: string;
}
interface PState {
  composite?: PResource | null;
  resources?: Record<string, PResource>;
}
export interface PRequest {
  meta?: { tag?: string };
  observed?: PState | null;
  desired?: PState | null;
  input?: PStruct | null;
  context?: PStruct | null;
  extraResources?: Record<string, { items?: PResource[] }>;
  requiredResources?: Record<string, { items?: PResource[] }>;
}
export interface PResponse {
  meta?: { tag?: string; ttl?: { seconds: number; nanos: number } };
  desired?: PState;
  results?: { severity: string; message: string; reason?: string }[];
  context?: PStruct;
  requirements?: unknown;
  conditions?: { type: string; status: string; reason: string; message?: string }[];
}

const READY_FROM: Record<string, Ready> = { READY_TRUE: "True", READY_FALSE: "False" };
const READY_TO: Record<Ready, string> = { True: "READY_TRUE", False: "READY_FALSE", Unspecified: "READY_UNSPECIFIED" };

function fromResource(r: PResource): FnResource {
  const out: FnResource = { resource: fromStruct(r.resource) as KubeObject, ready: READY_FROM[r.ready ?? ""] ?? "Unspecified" };
  if (r.connectionDetails && Object.keys(r.connectionDetails).length) out.connectionDetails = { ...r.connectionDetails };
  return out;
}

function fromState(s: PState | null | undefined): FnState {
  const out: FnState = { resources: {} };
  if (s?.composite) out.composite = fromResource(s.composite);
  for (const [k, r] of Object.entries(s?.resources ?? {})) out.resources[k] = fromResource(r);
  return out;
}

function toResource(r: FnResource): PResource {
  return { resource: toStruct(r.resource), connectionDetails: r.connectionDetails ?? {}, ready: READY_TO[r.ready ?? "Unspecified"] };
}

function toState(s: FnState): PState {
  const out: PState = { resources: {} };
  if (s.composite) out.composite = toResource(s.composite);
  for (const [k, r] of Object.entries(s.resources)) out.resources![k] = toResource(r);
  return out;
}

export function fromRequest(req: PRequest): FnRequest {
  const items = (m: PRequest["extraResources"]) =>
    Object.fromEntries(Object.entries(m ?? {}).map(([k, v]) => [k, (v.items ?? []).map((i) => fromStruct(i.resource) as KubeObject)]));
  return {
    observed: fromState(req.observed),
    desired: fromState(req.desired),
    ...(req.input ? { input: fromStruct(req.input) } : {}),
    context: fromStruct(req.context),
    extraResources: items(req.extraResources),
    requiredResources: items(req.requiredResources),
  };
}

const SEVERITY: Record<FnResult["severity"], string> = { Fatal: "SEVERITY_FATAL", Warning: "SEVERITY_WARNING", Normal: "SEVERITY_NORMAL" };
const STATUS: Record<FnCondition["status"], string> = { True: "STATUS_CONDITION_TRUE", False: "STATUS_CONDITION_FALSE", Unknown: "STATUS_CONDITION_UNKNOWN" };

export function toResponse(rsp: FnResponse, tag: string): PResponse {
  const sel = (m: Record<string, import("../fn.js").ResourceSelector>) =>
    Object.fromEntries(
      Object.entries(m).map(([k, s]) => [
        k,
        {
          apiVersion: s.apiVersion,
          kind: s.kind,
          ...(s.matchName !== undefined ? { matchName: s.matchName } : { matchLabels: { labels: s.matchLabels ?? {} } }),
          ...(s.namespace ? { namespace: s.namespace } : {}),
        },
      ]),
    );
  return {
    // function-sdk-go's default TTL: one minute.
    meta: { tag, ttl: { seconds: 60, nanos: 0 } },
    desired: toState(rsp.desired),
    results: rsp.results.map((r) => ({ severity: SEVERITY[r.severity], message: r.message, ...(r.reason !== undefined ? { reason: r.reason } : {}) })),
    context: toStruct(rsp.context),
    ...(rsp.requirements ? { requirements: { extraResources: sel(rsp.requirements.extraResources), resources: sel(rsp.requirements.resources) } } : {}),
    conditions: rsp.conditions.map((c) => ({
      type: c.type,
      status: STATUS[c.status],
      reason: c.reason,
      ...(c.message !== undefined ? { message: c.message } : {}),
      target: "TARGET_COMPOSITE",
    })),
  };
}

/** A response that only carries a fatal result, with the request's desired state (function-sdk-go's response.Fatal). */
export function fatalResponse(req: PRequest, message: string): PResponse {
  return {
    meta: { tag: req.meta?.tag ?? "", ttl: { seconds: 60, nanos: 0 } },
    desired: req.desired ?? {},
    results: [{ severity: "SEVERITY_FATAL", message }],
    context: req.context ?? { fields: {} },
  };
}
