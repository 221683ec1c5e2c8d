/**
 * Every CustomResourceDefinition the package installs inline (as a provider-kubernetes Object's
 * manifest) in a group the Kubernetes community protects carries a valid
 * `api-approved.kubernetes.io` annotation; otherwise the API server refuses it and the Object
 * never becomes ready.
 *
 * The rule follows the API server's own check, k8s.io/apiextensions-apiserver v0.35.4:
 * - pkg/apihelpers/helpers.go `IsProtectedCommunityGroup`: the group is `k8s.io` or ends in
 *   `.k8s.io`, or is `kubernetes.io` or ends in `.kubernetes.io` (so `x-k8s.io` groups are not
 *   protected);
 * - pkg/apihelpers/helpers.go `GetAPIApprovalState`: the annotation is approved when it parses as a
 *   request URI with a scheme and a host, bypassed when it starts with "unapproved", missing when
 *   empty, invalid otherwise;
 * - pkg/apis/apiextensions/validation/validation.go `validateAPIApproval`: unprotected groups are
 *   not checked at all (the annotation is allowed there and ignored); on a protected group a
 *   missing annotation is a Required error and an invalid one an Invalid error, with the texts
 *   quoted below.
 */
import { installedCrds, renderedCases, str } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

export const APPROVAL_ANNOTATION = "api-approved.kubernetes.io";
const KEP = "see https://github.com/kubernetes/enhancements/pull/1111";

/** IsProtectedCommunityGroup of the API server. */
export function isProtectedGroup(group: string): boolean {
  return group === "k8s.io" || group.endsWith(".k8s.io") || group === "kubernetes.io" || group.endsWith(".kubernetes.io");
}

export type ApprovalState = "approved" | "bypassed" | "missing" | "invalid";

/** GetAPIApprovalState of the API server (Go's url.ParseRequestURI needs an absolute URI or path; approval needs scheme and host). */
export function approvalState(annotation: string | undefined): ApprovalState {
  if (annotation === undefined || annotation === "") return "missing";
  if (annotation.startsWith("unapproved")) return "bypassed";
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#\s]+/.test(annotation)) {
    try {
      const u = new URL(annotation);
      if (u.protocol.length > 1 && u.host.length > 0) return "approved";
    } catch {
      // not a URL: invalid
    }
  }
  return "invalid";
}

/** The API server's error for a CRD `name` in a protected group with this annotation, or undefined when it is accepted. */
export function apiServerError(name: string, annotation: string | undefined): string | undefined {
  const prefix = `CustomResourceDefinition.apiextensions.k8s.io ${JSON.stringify(name)} is invalid: metadata.annotations[${APPROVAL_ANNOTATION}]: `;
  switch (approvalState(annotation)) {
    case "missing":
      return `${prefix}Required value: protected groups must have approval annotation ${JSON.stringify(APPROVAL_ANNOTATION)}, ${KEP}`;
    case "invalid":
      return (
        `${prefix}Invalid value: ${JSON.stringify(annotation)}: protected groups must have approval annotation ${JSON.stringify(APPROVAL_ANNOTATION)} ` +
        `with either a URL or a reason starting with "unapproved", ${KEP}`
      );
    default:
      return undefined;
  }
}

export const crdProtectedGroup: Rule = {
  id: "crd-protected-group",
  description: `every inline CRD in a *.k8s.io or *.kubernetes.io group carries a valid ${APPROVAL_ANNOTATION} annotation, or the API server refuses it`,
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      for (const crd of installedCrds(result)) {
        if (!isProtectedGroup(crd.group)) continue;
        const name = crd.name ?? `<plural>.${crd.group}`;
        const error = apiServerError(name, str(crd.annotations[APPROVAL_ANNOTATION]));
        if (!error) continue;
        findings.push({
          case: c.case,
          resource: crd.resource.name,
          message: `the API server refuses this CRD: ${error}`,
          hint:
            `${crd.group} is a protected group (k8s.io, kubernetes.io and their subdomains); set metadata.annotations["${APPROVAL_ANNOTATION}"] to the ` +
            `URL where the API was approved (the upstream project's CRD carries it) or to a reason starting with "unapproved"`,
        });
      }
    }
    return findings;
  },
};
