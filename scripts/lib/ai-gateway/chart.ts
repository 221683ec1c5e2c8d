/**
 * The Services an ai-gateway-helm Release really creates: the chart is pulled from its registry
 * (CHART_SOURCE_OVERRIDES applies, as in bump) with the pinned helm, kept in
 * .cache/ai-chart/, and templated with the Release's values, namespace and name (no cluster).
 * Where the chart cannot be pulled (no registry reachable) the answer is "unavailable" and the
 * rule that asks keeps its static model.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { applyOverrides, OVERRIDES_VARIABLE, parseOverrides } from "../bump/overrides.js";
import { CACHE_DIR } from "../paths.js";
import { parseYamlDocuments } from "../yamlio.js";
import { ensureGoTool, type Log } from "../tools.js";

export interface ChartService {
  name: string;
  namespace: string;
  ports: { name?: string; port: number }[];
}

export interface ServicesRequest {
  id: string;
  /** oci://host/path (repository + "/" + name) or a Helm repository URL with `name`. */
  repository: string;
  name: string;
  version: string;
  namespace: string;
  releaseName: string;
  values: unknown;
}

export type ServicesResult = { kind: "templated"; chart: string; services: ChartService[] } | { kind: "unavailable"; reason: string };

const firstLine = (s: string) =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("WARNING"))[0] ?? "";

const isLoopback = (ref: string) => /^(oci|http):\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(ref);

/** The chart directory in .cache/ai-chart/, pulling it once. */
async function pulled(helm: string, repository: string, name: string, version: string): Promise<string> {
  const oci = repository.startsWith("oci://");
  const from = oci ? `${repository.replace(/\/+$/, "")}/${name}` : repository;
  const key = createHash("sha256").update(`${from} ${name} ${version}`).digest("hex").slice(0, 16);
  const dir = join(CACHE_DIR, "ai-chart", key);
  const chart = join(dir, name);
  if (existsSync(join(chart, "Chart.yaml"))) return chart;
  mkdirSync(join(CACHE_DIR, "ai-chart"), { recursive: true });
  const tmp = mkdtempSync(join(CACHE_DIR, "ai-chart", "pull-"));
  try {
    const args = oci
      ? ["pull", from, "--version", version, "--untar", "--untardir", tmp]
      : ["pull", name, "--repo", from, "--version", version, "--untar", "--untardir", tmp];
    if (isLoopback(from)) args.push("--plain-http");
    const r = await execa(helm, args, { reject: false, timeout: 20_000 });
    if (r.exitCode !== 0) throw new Error(`helm pull ${from} --version ${version}: ${firstLine(String(r.stderr || r.message))}`);
    const untarred = readdirSync(tmp).find((d) => existsSync(join(tmp, d, "Chart.yaml")));
    if (!untarred) throw new Error(`helm pull ${from} --version ${version} gave no chart`);
    if (!existsSync(join(chart, "Chart.yaml"))) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      renameSync(join(tmp, untarred), chart);
    }
    return chart;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function services(manifests: string, namespace: string, origin: string): ChartService[] {
  const out: ChartService[] = [];
  for (const doc of parseYamlDocuments(manifests, origin)) {
    const o = doc as {
      apiVersion?: string;
      kind?: string;
      metadata?: { name?: string; namespace?: string };
      spec?: { ports?: { name?: string; port?: number }[] };
    } | null;
    if (o?.kind !== "Service" || o.apiVersion !== "v1" || !o.metadata?.name) continue;
    out.push({
      name: o.metadata.name,
      namespace: o.metadata.namespace ?? namespace,
      ports: (o.spec?.ports ?? []).filter((p) => typeof p.port === "number").map((p) => ({ name: p.name, port: p.port! })),
    });
  }
  return out;
}

/** Templates each Release's chart; charts that cannot be had are "unavailable" with the reason. */
export async function chartServices(
  requests: readonly ServicesRequest[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  log?: Log,
): Promise<Map<string, ServicesResult>> {
  const out = new Map<string, ServicesResult>();
  if (!requests.length) return out;
  let helm: string;
  let overrides;
  try {
    overrides = parseOverrides(env[OVERRIDES_VARIABLE]);
    helm = await ensureGoTool("helm", log);
  } catch (err) {
    for (const r of requests) out.set(r.id, { kind: "unavailable", reason: firstLine((err as Error).message) });
    return out;
  }
  await Promise.all(
    requests.map(async (r) => {
      try {
        const repository = applyOverrides(r.repository, overrides).source;
        const chart = await pulled(helm, repository, r.name, r.version);
        const work = mkdtempSync(join(CACHE_DIR, "ai-chart", "values-"));
        try {
          writeFileSync(join(work, "values.json"), JSON.stringify(r.values ?? {}));
          const t = await execa(helm, ["template", r.releaseName, chart, "--namespace", r.namespace, "-f", join(work, "values.json")], {
            reject: false,
            timeout: 60_000,
          });
          if (t.exitCode !== 0) throw new Error(`helm template ${r.name} ${r.version}: ${firstLine(String(t.stderr))}`);
          out.set(r.id, {
            kind: "templated",
            chart: `${repository}/${r.name}:${r.version}`,
            services: services(String(t.stdout), r.namespace, `helm template ${r.name} ${r.version}`),
          });
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      } catch (err) {
        out.set(r.id, { kind: "unavailable", reason: firstLine((err as Error).message) });
      }
    }),
  );
  return out;
}
