/**
 * The gateway-helm chart of one Envoy Gateway version, taken from the Envoy Gateway module
 * (charts/gateway-helm) and templated with the pinned helm — no cluster — to get the
 * envoy-gateway.yaml that Envoy Gateway really reads from the envoy-gateway-config ConfigMap.
 *
 * In the module the chart's values file is values.tmpl.yaml with two placeholders that Envoy
 * Gateway's release fills in: ${GatewayImage} (the release image) and ${GatewayImagePullPolicy}.
 * The prepared copy in .cache/eg-chart/<version>/gateway-helm has them filled the same way.
 *
 * Many Releases are templated by one helm process: a wrapper chart declares gateway-helm once per
 * Release under an alias (r0, r1, …) and gives each alias that Release's values.
 */
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { execa } from "execa";
import { parseAllDocuments } from "yaml";
import { readIfExists, writeFileAtomic } from "../fsutil.js";
import { CACHE_DIR } from "../paths.js";
import { moduleDir, Unavailable } from "./module.js";
import { ENVOY_GATEWAY_CHART } from "../charts.js";

/** The ConfigMap Envoy Gateway reads its configuration from, and the key that holds it. */
export const CONFIG_MAP = "envoy-gateway-config";
export const CONFIG_KEY = "envoy-gateway.yaml";
const CONFIG_TEMPLATE = "templates/envoy-gateway-config.yaml";
/** Revision of the preparation below; a change re-prepares every cached chart. */
const PREPARATION = "1";

/** The values.tmpl.yaml placeholders and what a release of `version` puts there. */
export const placeholders = (version: string): Record<string, string> => ({
  GatewayImage: `docker.io/envoyproxy/gateway:${version}`,
  GatewayImagePullPolicy: "IfNotPresent",
});

/** .cache/eg-chart/<version>/charts/gateway-helm, copied from the module once. */
export async function preparedChart(version: string): Promise<string> {
  const base = join(CACHE_DIR, "eg-chart", version);
  const chart = join(base, "charts", ENVOY_GATEWAY_CHART);
  const stamp = join(base, "prepared");
  if (readIfExists(stamp) === PREPARATION) return chart;
  const src = join(await moduleDir(version), "charts", ENVOY_GATEWAY_CHART);
  if (!existsSync(join(src, "Chart.yaml"))) throw new Unavailable(`the Envoy Gateway module ${version} has no charts/gateway-helm/Chart.yaml`);
  const tmp = join(base, `gateway-helm.${process.pid}.tmp`);
  mkdirSync(base, { recursive: true });
  rmSync(tmp, { recursive: true, force: true });
  cpSync(src, tmp, { recursive: true });
  makeWritable(tmp);
  const tmplPath = join(tmp, "values.tmpl.yaml");
  if (existsSync(tmplPath)) {
    const fill = placeholders(version);
    const values = readFileSync(tmplPath, "utf8").replace(/\$\{(\w+)\}/g, (whole, name: string) => fill[name] ?? whole);
    const left = /\$\{\w+\}/.exec(values);
    if (left) throw new Unavailable(`gateway-helm ${version}: values.tmpl.yaml has a placeholder this check does not know: ${left[0]}`);
    writeFileSync(join(tmp, "values.yaml"), values);
    rmSync(tmplPath);
  }
  // Another process may have prepared it meanwhile: keep theirs, which may be in use.
  if (readIfExists(stamp) === PREPARATION) {
    rmSync(tmp, { recursive: true, force: true });
    return chart;
  }
  rmSync(chart, { recursive: true, force: true });
  mkdirSync(join(base, "charts"), { recursive: true });
  renameSync(tmp, chart);
  writeFileAtomic(stamp, PREPARATION);
  return chart;
}

/** Module files are read-only; the copy must be ours to edit and delete. */
function makeWritable(path: string): void {
  const st = statSync(path);
  chmodSync(path, st.mode | 0o200);
  if (st.isDirectory()) for (const entry of readdirSync(path)) makeWritable(join(path, entry));
}

export interface TemplateRequest {
  id: string;
  /** The Release's spec.forProvider.values. */
  values: unknown;
  /** The Release's namespace (.Release.Namespace). */
  namespace: string;
  releaseName: string;
}

export type TemplateResult = { config: string; error?: undefined } | { config?: undefined; error: string };

/** helm's own error, without the usage noise. */
const helmError = (stderr: string) =>
  stderr
    .replace(/eg-configs\/charts\/r\d+\//g, "gateway-helm/")
    .split("\n")
    .filter((l) => l.trim() && !/^(WARNING|walk\.go|Use --debug)/.test(l))
    .join("\n")
    .trim();

/**
 * helm template is deterministic: a rendered config is kept in .cache/eg-chart/<version>/rendered/
 * under a key of everything it depends on (the prepared chart, the helm binary, the Release's
 * namespace, name and values), so an unchanged Release costs no helm process.
 */
function renderedCacheKey(helm: string, version: string, r: TemplateRequest): string {
  let helmId = helm;
  try {
    const st = statSync(helm);
    helmId += ` ${st.size} ${st.mtimeMs}`;
  } catch {
    /* not a file path: keyed by name */
  }
  return createHash("sha256")
    .update(JSON.stringify([PREPARATION, version, helmId, r.namespace, r.releaseName, r.values ?? null]))
    .digest("hex")
    .slice(0, 32);
}

/** Templates every request with one helm process per namespace and release name; a failing batch is retried Release by Release. */
export async function templateConfigs(helm: string, version: string, requests: readonly TemplateRequest[]): Promise<Map<string, TemplateResult>> {
  const chart = await preparedChart(version);
  const out = new Map<string, TemplateResult>();
  const rendered = join(CACHE_DIR, "eg-chart", version, "rendered");
  const keys = new Map<string, string>();
  const groups = new Map<string, TemplateRequest[]>();
  for (const r of requests) {
    const key = renderedCacheKey(helm, version, r);
    keys.set(r.id, key);
    const hit = readIfExists(join(rendered, `${key}.yaml`));
    if (hit !== undefined) {
      out.set(r.id, { config: hit });
      continue;
    }
    const k = JSON.stringify([r.namespace, r.releaseName]);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const batch = await templateBatch(helm, chart, group);
      if (batch.ok) {
        mkdirSync(rendered, { recursive: true });
        for (const [id, config] of batch.configs) {
          out.set(id, { config });
          writeFileAtomic(join(rendered, `${keys.get(id)}.yaml`), config);
        }
        return;
      }
      if (group.length === 1) {
        out.set(group[0]!.id, { error: batch.error });
        return;
      }
      for (const r of group) {
        const one = await templateBatch(helm, chart, [r]);
        out.set(r.id, one.ok ? { config: one.configs.get(r.id)! } : { error: one.error });
      }
    }),
  );
  return out;
}

async function templateBatch(
  helm: string,
  chart: string,
  group: readonly TemplateRequest[],
): Promise<{ ok: true; configs: Map<string, string> } | { ok: false; error: string }> {
  const dir = mkdtempSync(join(CACHE_DIR, "eg-chart", "wrap-"));
  try {
    const aliases = group.map((_, i) => `r${i}`);
    const chartYaml = {
      apiVersion: "v2",
      name: "eg-configs",
      version: "0.0.0",
      dependencies: aliases.map((alias) => ({ name: ENVOY_GATEWAY_CHART, version: ">=0.0.0-0", alias })),
    };
    writeFileSync(join(dir, "Chart.yaml"), JSON.stringify(chartYaml));
    const values = Object.fromEntries(group.map((r, i) => [aliases[i], r.values ?? {}]));
    writeFileSync(join(dir, "values.yaml"), JSON.stringify(values));
    symlinkSync(dirname(chart), join(dir, "charts"));
    const first = group[0]!;
    const args = [
      "template",
      first.releaseName,
      dir,
      "--namespace",
      first.namespace,
      ...aliases.flatMap((a) => ["--show-only", `charts/${a}/${CONFIG_TEMPLATE}`]),
    ];
    const r = await execa(helm, args, { reject: false, timeout: 120_000 });
    if (r.exitCode !== 0) return { ok: false, error: helmError(String(r.stderr)) || `helm template exited with ${r.exitCode}` };
    const configs = new Map<string, string>();
    for (const doc of parseAllDocuments(String(r.stdout))) {
      if (doc.errors.length) return { ok: false, error: `helm printed a document that is not YAML: ${doc.errors[0]!.message}` };
      const cm = doc.toJS() as { kind?: string; metadata?: { name?: string }; data?: Record<string, string> } | null;
      const source =
        /^# Source: [^/]+\/charts\/(r\d+)\//m.exec(String(doc.commentBefore ?? ""))?.[1] ?? /# Source: [^/]+\/charts\/(r\d+)\//.exec(doc.toString())?.[1];
      if (cm?.kind !== "ConfigMap" || cm.metadata?.name !== CONFIG_MAP) continue;
      const i = source === undefined ? -1 : aliases.indexOf(source);
      const config = cm.data?.[CONFIG_KEY];
      if (i < 0 || typeof config !== "string") continue;
      configs.set(group[i]!.id, config);
    }
    for (const r of group) if (!configs.has(r.id)) return { ok: false, error: `the chart rendered no ${CONFIG_MAP} ConfigMap with ${CONFIG_KEY}` };
    return { ok: true, configs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
