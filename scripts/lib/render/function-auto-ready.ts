/**
 * function-auto-ready (crossplane-contrib/function-auto-ready v0.5.0): a desired composed
 * resource whose readiness no earlier step decided becomes ready when its observed
 * counterpart has the condition Ready=True.
 */
import { responseTo, type FnRequest, type FnResponse, type FnResource } from "./fn.js";
import { isObject } from "./yaml.js";

/** Functions recognised as function-auto-ready, by the name the composition gives them. */
export function isAutoReadyFunction(functionName: string): boolean {
  return functionName.includes("function-auto-ready");
}

function observedReady(resource: unknown): boolean {
  const status = isObject(resource) ? resource.status : undefined;
  const conditions = isObject(status) ? status.conditions : undefined;
  if (!Array.isArray(conditions)) return false;
  const ready = conditions.find((c) => isObject(c) && c.type === "Ready");
  return isObject(ready) && ready.status === "True";
}

export function runAutoReady(req: FnRequest): Promise<FnResponse> {
  const rsp = responseTo(req);
  const resources: Record<string, FnResource> = {};
  for (const [name, desired] of Object.entries(req.desired.resources)) {
    const observed = req.observed.resources[name];
    const unspecified = (desired.ready ?? "Unspecified") === "Unspecified";
    resources[name] = observed && unspecified && observedReady(observed.resource) ? { ...desired, ready: "True" } : desired;
  }
  rsp.desired = { ...req.desired, resources };
  return Promise.resolve(rsp);
}
