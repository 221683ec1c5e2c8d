/**
 * The CRDs that charts of the app catalogue install, which the provider-kubernetes Object
 * manifests of the compositions need (Gateway, GatewayClass, ExternalSecret, Application,
 * PodMonitor, …): obtained from the Go module of the pinned chart's project where the Go module
 * proxy serves it, as `npm run validate` obtains the providers' CRDs. A source whose module
 * version cannot be derived from the chart pin says so.
 */
import { cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fetchModule } from "../gomod.js";
import { readYamlDocs, type KubeObject } from "../cluster/kube.js";

export interface ChartCrdSource {
  /** The chart whose CRDs these are. */
  chart: string;
  groups: string[];
  module?: string;
  version?: string;
  /** Files or folders of the module that hold the CRDs. */
  paths?: string[];
  /** Why no module version is known for the chart pin. */
  unavailable?: string;
}

/** Chart pins are read from kcl/apps.k by the caller; version maps a chart version to its project's module version. */
export function chartCrdSources(pins: Record<string, string>): ChartCrdSource[] {
  return [
    {
      chart: `gateway-helm ${pins.envoyGateway ?? "?"}`,
      groups: ["gateway.networking.k8s.io", "gateway.envoyproxy.io"],
      module: "github.com/envoyproxy/gateway",
      // gateway-helm is versioned with Envoy Gateway itself and ships in its repository.
      version: pins.envoyGateway,
      paths: ["charts/gateway-helm/crds"],
    },
    {
      chart: `external-secrets ${pins.externalSecrets ?? "?"}`,
      groups: ["external-secrets.io"],
      // The chart is versioned with External Secrets itself; its CRDs are in config/crds/bases.
      module: "github.com/external-secrets/external-secrets",
      version: pins.externalSecrets ? `v${pins.externalSecrets.replace(/^v/, "")}` : undefined,
      paths: ["config/crds/bases"],
    },
    {
      chart: `argo-cd ${pins.argocd ?? "?"}`,
      groups: ["argoproj.io"],
      unavailable:
        `the argo-cd chart's version (${pins.argocd ?? "?"}) is not Argo CD's; the Argo CD version it installs is only in the chart, not in a Go ` + `module`,
    },
    {
      chart: `kube-prometheus-stack ${pins.prometheus ?? "?"}`,
      groups: ["monitoring.coreos.com"],
      unavailable:
        `the kube-prometheus-stack chart's version (${pins.prometheus ?? "?"}) does not name the prometheus-operator version it bundles; it is ` +
        `only in the chart`,
    },
  ];
}

export interface ChartCrds {
  crds: KubeObject[];
  /** One line per source: obtained (how many, from where) or why not. */
  notes: { source: ChartCrdSource; ok: boolean; note: string }[];
}

function yamlFiles(path: string): string[] {
  if (!existsSync(path)) return [];
  if (!path.endsWith("/") && /\.ya?ml$/.test(path)) return [path];
  return readdirSync(path, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? yamlFiles(join(path, e.name)) : /\.ya?ml$/.test(e.name) ? [join(path, e.name)] : [],
  );
}

/** Fetches (once; cached in cacheDir) and reads the CRDs of every source that has a module. */
export async function obtainChartCrds(sources: readonly ChartCrdSource[], cacheDir: string): Promise<ChartCrds> {
  const out: ChartCrds = { crds: [], notes: [] };
  for (const s of sources) {
    if (!s.module || !s.version || !s.paths) {
      out.notes.push({ source: s, ok: false, note: s.unavailable ?? "no module known" });
      continue;
    }
    const cached = join(cacheDir, s.module.replace(/\//g, "+") + "@" + s.version);
    if (!existsSync(cached)) {
      const fetched = await fetchModule(s.module, s.version, cacheDir);
      if (!fetched.ok) {
        out.notes.push({
          source: s,
          ok: false,
          note: `${s.module}@${s.version} could not be fetched from the Go module proxy (${fetched.kind}: ${fetched.message.split("\n")[0]})`,
        });
        continue;
      }
      try {
        mkdirSync(cached, { recursive: true });
        for (const p of s.paths) if (existsSync(join(fetched.dir, p))) cpSync(join(fetched.dir, p), join(cached, p), { recursive: true });
      } finally {
        fetched.cleanup();
      }
    }
    const crds = s.paths
      .flatMap((p) => yamlFiles(join(cached, p)))
      .flatMap((f) => readYamlDocs(f))
      .filter((o) => o.kind === "CustomResourceDefinition");
    const inGroups = crds.filter((c) => s.groups.includes(String((c.spec as { group?: string } | undefined)?.group)));
    if (!inGroups.length)
      out.notes.push({ source: s, ok: false, note: `${s.module}@${s.version} has no CRDs of ${s.groups.join(", ")} under ${s.paths.join(", ")}` });
    else out.notes.push({ source: s, ok: true, note: `${inGroups.length} CRDs from ${s.module}@${s.version} ${s.paths.join(", ")}` });
    out.crds.push(...inGroups);
  }
  return out;
}
