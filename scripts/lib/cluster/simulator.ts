/**
 * The provider simulator: stands in for the providers (AWS, Google Cloud, Azure, Helm,
 * Kubernetes) of a real cluster, which the local control plane does not run. Like a provider
 * that has created the external resource, it marks each managed resource Synced=True and
 * Ready=True, fills the status.atProvider fields the compositions read (cluster status, endpoint,
 * CIDR) and writes the connection secret a managed resource asks for (the kubeconfig the
 * ProviderConfigs read). It gives ProviderConfigs no Ready condition (real providers never do),
 * and it never writes anything Crossplane owns: not XRs, not Usages, not the spec or metadata of
 * a composed resource; only the status subresource of managed resources and their connection
 * secrets.
 */
import type { Kube, KubeObject } from "./kube.js";

export const SIMULATOR_LABEL = "dot-cluster.devopstoolkit.ai/provider-simulator";

/** What a provider reports in status.atProvider once the external resource exists, per kind. */
export const SIMULATED_AT_PROVIDER: Record<string, Record<string, unknown>> = {
  "eks.aws.m.upbound.io/Cluster": { status: "ACTIVE", endpoint: "https://simulated-eks.invalid", arn: "arn:aws:eks:us-east-1:000000000000:cluster/simulated" },
  "eks.aws.m.upbound.io/NodeGroup": { status: "ACTIVE" },
  "container.gcp.m.upbound.io/Cluster": { status: "RUNNING", endpoint: "203.0.113.10", clusterIpv4Cidr: "10.96.0.0/14" },
  "container.gcp.m.upbound.io/NodePool": { status: "RUNNING" },
  "containerservice.azure.m.upbound.io/KubernetesCluster": { fqdn: "simulated-aks.invalid" },
};

/** Kinds that are not managed resources although a provider serves them. */
const NOT_MANAGED = /^(ProviderConfig|ProviderConfigUsage|ClusterProviderConfig|ClusterProviderConfigUsage|StoreConfig|ClusterStoreConfig)$/;

export interface ManagedKind {
  apiVersion: string;
  kind: string;
}

export function isManagedKind(kind: string): boolean {
  return !NOT_MANAGED.test(kind);
}

const condition = (type: string, reason: string, now: string) => ({ type, status: "True", reason, lastTransitionTime: now });

function simulatedKubeconfig(name: string): string {
  return [
    "apiVersion: v1",
    "kind: Config",
    `clusters: [{name: ${name}, cluster: {server: "https://${name}.simulated.invalid"}}]`,
    `users: [{name: ${name}, user: {token: simulated}}]`,
    `contexts: [{name: ${name}, context: {cluster: ${name}, user: ${name}}}]`,
    `current-context: ${name}`,
    "",
  ].join("\n");
}

export interface SimulatorStats {
  /** Status updates written. */
  marked: number;
  secrets: number;
  errors: string[];
}

/** One pass over every managed resource of the given kinds. */
export async function simulateOnce(kube: Kube, kinds: readonly ManagedKind[], stats: SimulatorStats): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  for (const k of kinds) {
    let items: KubeObject[];
    try {
      items = await kube.list(k.apiVersion, k.kind);
    } catch (err) {
      stats.errors.push((err as Error).message);
      continue;
    }
    for (const o of items) {
      const status = (o.status ?? {}) as { conditions?: { type: string; status: string }[]; atProvider?: Record<string, unknown> };
      const ready =
        status.conditions?.some((c) => c.type === "Ready" && c.status === "True") && status.conditions?.some((c) => c.type === "Synced" && c.status === "True");
      const group = k.apiVersion.split("/")[0];
      const atProvider = SIMULATED_AT_PROVIDER[`${group}/${k.kind}`];
      const secretRef = ((o.spec ?? {}) as { writeConnectionSecretToRef?: { name?: string; namespace?: string } }).writeConnectionSecretToRef;
      if (secretRef?.name) {
        const namespace = secretRef.namespace ?? o.metadata?.namespace;
        if (namespace && !(await kube.get("v1", "Secret", secretRef.name, namespace))) {
          await kube.apply(
            {
              apiVersion: "v1",
              kind: "Secret",
              metadata: { name: secretRef.name, namespace, labels: { [SIMULATOR_LABEL]: "true" } },
              type: "connection.crossplane.io/v1alpha1",
              stringData: { kubeconfig: simulatedKubeconfig(o.metadata!.name!) },
            },
            "provider-simulator",
          );
          stats.secrets++;
        }
      }
      if (ready) continue;
      try {
        await kube.patchStatus(o, {
          conditions: [condition("Synced", "ReconcileSuccess", now), condition("Ready", "Available", now)],
          ...(atProvider ? { atProvider } : {}),
        });
        stats.marked++;
      } catch (err) {
        stats.errors.push((err as Error).message);
      }
    }
  }
}

export interface Simulator {
  readonly stats: SimulatorStats;
  stop(): Promise<void>;
}

/** Runs simulateOnce every intervalMs until stopped. */
export function startSimulator(kube: Kube, kinds: readonly ManagedKind[], intervalMs = 500): Simulator {
  const stats: SimulatorStats = { marked: 0, secrets: 0, errors: [] };
  let stopped = false;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      try {
        await simulateOnce(kube, kinds, stats);
      } catch (err) {
        stats.errors.push((err as Error).message);
      }
      if (stats.errors.length > 50) stats.errors.splice(0, stats.errors.length - 50);
      await new Promise<void>((r) => {
        wake = r;
        setTimeout(r, intervalMs);
      });
    }
  })();
  return {
    stats,
    async stop() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
