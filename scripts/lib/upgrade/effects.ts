/**
 * What deleting a composed resource does beyond the object itself: a managed resource's
 * deletion policy, a provider-kubernetes Object's manifest (an Argo CD Application with its
 * resources finalizer cascades, a CRD takes all its objects, an ExternalSecret its Secret), a
 * provider-helm Release (uninstall), a cloud resource (and what lives inside it).
 */
import type { KubeObject } from "../render/types.js";
import { isObject } from "../render/yaml.js";

/** The API group without Crossplane v2's namespaced ".m." infix (eks.aws.m.upbound.io → eks.aws.upbound.io). */
export function foldGroup(apiVersion: string): string {
  const group = apiVersion.includes("/") ? apiVersion.split("/")[0]! : "";
  return group.replace(/\.m\./, ".");
}

export function describeObject(o: KubeObject): string {
  const md = o.metadata ?? {};
  const name = String(md.name ?? md.generateName ?? "?");
  return `${o.kind}/${md.namespace ? `${md.namespace}/` : ""}${name}`;
}

/** Whether Crossplane's deletion of the managed resource leaves the live resource in place, and why. */
export function keptBy(o: KubeObject): string | undefined {
  const spec = isObject(o.spec) ? o.spec : {};
  if (spec.deletionPolicy === "Orphan") return "its deletionPolicy is Orphan";
  const policies = spec.managementPolicies;
  if (Array.isArray(policies) && !policies.includes("*") && !policies.includes("Delete")) return `its managementPolicies (${policies.join(", ")}) lack Delete`;
  return undefined;
}

const ARGO_FINALIZERS = [
  "resources-finalizer.argocd.argoproj.io",
  "resources-finalizer.argocd.argoproj.io/background",
  "resources-finalizer.argocd.argoproj.io/foreground",
];

function manifestEffect(m: Record<string, unknown>): string {
  const kind = String(m.kind ?? "?");
  const md = isObject(m.metadata) ? m.metadata : {};
  const name = `${md.namespace ? `${String(md.namespace)}/` : ""}${String(md.name ?? "?")}`;
  const group = typeof m.apiVersion === "string" && m.apiVersion.includes("/") ? m.apiVersion.split("/")[0] : "";
  if (group === "argoproj.io" && (kind === "Application" || kind === "ApplicationSet")) {
    const finalizers = Array.isArray(md.finalizers) ? md.finalizers.map(String) : [];
    if (finalizers.some((f) => ARGO_FINALIZERS.includes(f))) return `deletes Argo CD ${kind} ${name}, and its resources finalizer deletes everything it synced`;
    return `deletes Argo CD ${kind} ${name} (no resources finalizer: what it synced stays, unmanaged)`;
  }
  if (kind === "CustomResourceDefinition") return `deletes CRD ${name} and every object of it in the workload cluster`;
  if (kind === "Namespace") return `deletes namespace ${name} and everything in it`;
  if (group === "external-secrets.io" && kind === "ExternalSecret") {
    const spec = isObject(m.spec) ? m.spec : {};
    const target = isObject(spec.target) ? spec.target : {};
    const policy = typeof target.creationPolicy === "string" ? target.creationPolicy : "Owner";
    const secret = String(target.name ?? md.name ?? "?");
    if (policy === "Owner") return `deletes ExternalSecret ${name} and the Secret ${secret} it owns`;
    return `deletes ExternalSecret ${name} (creationPolicy ${policy}: the Secret ${secret} stays)`;
  }
  if (group === "external-secrets.io" && (kind === "ClusterSecretStore" || kind === "SecretStore"))
    return `deletes ${kind} ${name}: every ExternalSecret reading it stops syncing`;
  if (group === "gateway.networking.k8s.io" && kind === "Gateway")
    return `deletes Gateway ${name}: its load balancer and every route attached to it stop serving`;
  if (group === "gateway.networking.k8s.io" && kind === "GatewayClass") return `deletes GatewayClass ${name}: Gateways of that class lose their controller`;
  return `deletes ${kind} ${name} in the workload cluster`;
}

const CONTAINERS: Record<string, string> = {
  ResourceGroup: "and everything in the resource group",
  KubernetesCluster: "and every workload in the cluster",
  VPC: "(once the subnets, gateways and groups in it are gone)",
};

/** One short sentence: what the deletion does. */
export function deletionEffect(o: KubeObject): string {
  const group = foldGroup(o.apiVersion);
  const spec = isObject(o.spec) ? o.spec : {};
  const fp = isObject(spec.forProvider) ? spec.forProvider : {};
  if (group === "kubernetes.crossplane.io" && o.kind === "Object") {
    return isObject(fp.manifest) ? manifestEffect(fp.manifest) : "deletes the object it manages in the workload cluster";
  }
  if (group === "helm.crossplane.io" && o.kind === "Release") {
    const chart = isObject(fp.chart) ? `${String(fp.chart.name ?? "?")} ${String(fp.chart.version ?? "")}`.trim() : "?";
    return (
      `uninstalls Helm release ${String(o.metadata?.annotations?.["crossplane.io/external-name"] ?? o.metadata?.name ?? "?")} (chart ${chart}) and ` +
      `everything it installed (Helm keeps the CRDs of the chart's crds/ folder)`
    );
  }
  if (group === "protection.crossplane.io" || group === "apiextensions.crossplane.io")
    return `deletes ${o.kind} ${String(o.metadata?.name ?? "")}: the deletion protection it gave is gone`;
  if (o.kind === "ProviderConfig") return `deletes ProviderConfig ${String(o.metadata?.name ?? "")}: resources using it can no longer be reconciled`;
  if (group === "eks.aws.upbound.io" && o.kind === "Cluster") return `deletes the EKS cluster and every workload in it`;
  if (group === "container.gcp.upbound.io" && o.kind === "Cluster") return `deletes the GKE cluster and every workload in it`;
  if (o.kind.endsWith("NodePool") || o.kind === "NodeGroup") return `deletes the node pool and the nodes in it (their pods are evicted)`;
  const extra = CONTAINERS[o.kind];
  if (group.endsWith(".upbound.io") || group.endsWith(".crossplane.io")) return `deletes the ${o.kind} in the cloud${extra ? ` ${extra}` : ""}`;
  return `deletes ${describeObject(o)}`;
}
