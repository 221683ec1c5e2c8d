/**
 * Crossplane's function contract (proto/fn/v1 RunFunctionRequest/Response) as plain data.
 * The local pipeline passes these between its step implementations exactly as Crossplane
 * passes the protobuf messages between functions; the gRPC stand-in converts them to and from
 * the wire.
 */
import type { KubeObject } from "./types.js";

export type Ready = "Unspecified" | "True" | "False";

export interface FnResource {
  resource: KubeObject;
  /** Connection details, values base64 encoded (protobuf JSON form of bytes). */
  connectionDetails?: Record<string, string>;
  ready?: Ready;
}

export interface FnState {
  composite?: FnResource;
  resources: Record<string, FnResource>;
}

export interface ResourceSelector {
  apiVersion: string;
  kind: string;
  matchName?: string;
  matchLabels?: Record<string, string>;
  namespace?: string;
}

export interface FnRequest {
  observed: FnState;
  desired: FnState;
  input?: Record<string, unknown>;
  context: Record<string, unknown>;
  /** Resources fetched for the function's requirements: name -> items (deprecated field). */
  extraResources: Record<string, KubeObject[]>;
  requiredResources: Record<string, KubeObject[]>;
}

export type Severity = "Fatal" | "Warning" | "Normal";

export interface FnResult {
  severity: Severity;
  message: string;
  reason?: string;
}

export interface FnCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message?: string;
}

export interface FnRequirements {
  extraResources: Record<string, ResourceSelector>;
  resources: Record<string, ResourceSelector>;
}

export interface FnResponse {
  desired: FnState;
  results: FnResult[];
  context: Record<string, unknown>;
  requirements?: FnRequirements;
  conditions: FnCondition[];
}

/** What a function answers when it does nothing: the request's desired state and context. */
export function responseTo(req: FnRequest): FnResponse {
  return { desired: req.desired, results: [], context: req.context, conditions: [] };
}

/** A step's function, in process: gets the request, returns the response. */
export type StepFunction = (req: FnRequest) => Promise<FnResponse>;
