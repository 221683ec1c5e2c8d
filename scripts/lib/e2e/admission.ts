/**
 * The API server's own admission for what the compositions ask provider-kubernetes to create:
 * every distinct Object manifest of the golden files (inline CRDs included) is created with a
 * server-side dry-run (`?dryRun=All`: validated, defaulted, admitted, never stored), so protected
 * groups, structural schemas, CEL rules and defaults are judged by kube-apiserver itself.
 * Namespaces the manifests live in are created for real first, and the CRDs the charts would
 * install (chart-crds.ts) are installed, so namespaced objects and chart kinds can be judged;
 * a manifest whose kind no obtained CRD serves is reported as not judged, with the reason.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { applyCrds, readYamlDocs, type Kube, type KubeObject, type WaitFor } from "../cluster/kube.js";
import type { ChartCrds } from "./chart-crds.js";
import { LAYOUT } from "../paths.js";

export interface AdmissionVerdict {
  /** kind/name (namespace) of the manifest. */
  object: string;
  /** Golden files (cases) that hold it. */
  cases: string[];
  outcome: "admitted" | "refused" | "not judged";
  message?: string;
}

export interface AdmissionReport {
  verdicts: AdmissionVerdict[];
  namespaces: string[];
  chartNotes: ChartCrds["notes"];
}

const stable = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(stable).join(",")}]`
    : v && typeof v === "object"
      ? `{${Object.keys(v)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
          .join(",")}}`
      : JSON.stringify(v);

/** Distinct provider-kubernetes Object manifests of tests/golden/*.yaml, with the cases that compose each. */
export function goldenManifests(root: string): { manifest: KubeObject; cases: string[] }[] {
  const byKey = new Map<string, { manifest: KubeObject; cases: string[] }>();
  const dir = join(root, LAYOUT.golden);
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    for (const o of readYamlDocs(join(dir, f)).slice(1)) {
      if (o.kind !== "Object" || !o.apiVersion.startsWith("kubernetes.")) continue;
      const manifest = (o.spec as { forProvider?: { manifest?: KubeObject } } | undefined)?.forProvider?.manifest;
      if (!manifest?.kind) continue;
      const key = stable(manifest);
      const entry = byKey.get(key) ?? { manifest, cases: [] };
      entry.cases.push(f.replace(/\.yaml$/, ""));
      byKey.set(key, entry);
    }
  }
  return [...byKey.values()];
}

const label = (o: KubeObject) => `${o.kind}/${o.metadata?.name}${o.metadata?.namespace ? ` (${o.metadata.namespace})` : ""}`;

export async function judgeManifests(
  kube: Kube,
  manifests: { manifest: KubeObject; cases: string[] }[],
  chartCrds: ChartCrds,
  waitFor: WaitFor,
): Promise<AdmissionReport> {
  const namespaces = new Set<string>();
  for (const { manifest } of manifests) {
    if (manifest.kind === "Namespace" && manifest.apiVersion === "v1") namespaces.add(manifest.metadata!.name!);
    if (manifest.metadata?.namespace) namespaces.add(manifest.metadata.namespace);
  }
  for (const ns of [...namespaces].sort()) await kube.apply({ apiVersion: "v1", kind: "Namespace", metadata: { name: ns } });
  if (chartCrds.crds.length) await applyCrds(kube, chartCrds.crds, waitFor);
  const verdicts: AdmissionVerdict[] = [];
  const order = (o: KubeObject) => (o.kind === "Namespace" ? 0 : o.kind === "CustomResourceDefinition" ? 1 : 2);
  for (const { manifest, cases } of [...manifests].sort((a, b) => order(a.manifest) - order(b.manifest))) {
    if (manifest.kind === "Namespace" && manifest.apiVersion === "v1") {
      verdicts.push({ object: label(manifest), cases, outcome: "admitted", message: "created (the namespaced manifests need it)" });
      continue;
    }
    let r;
    try {
      r = await kube.create(manifest, { dryRun: true });
    } catch (err) {
      const missingChart = chartCrds.notes.find((n) => n.source.groups.includes(manifest.apiVersion.split("/")[0]!) && !n.ok);
      verdicts.push({
        object: label(manifest),
        cases,
        outcome: "not judged",
        message:
          (err as Error).message.trim() +
          (missingChart ? `; its CRD comes with the chart ${missingChart.source.chart}, which could not be obtained: ${missingChart.note}` : ""),
      });
      continue;
    }
    if (r.status >= 200 && r.status < 300) verdicts.push({ object: label(manifest), cases, outcome: "admitted" });
    else
      verdicts.push({
        object: label(manifest),
        cases,
        outcome: "refused",
        message: `HTTP ${r.status}: ${(r.body as { message?: string } | undefined)?.message ?? r.text.slice(0, 400)}`,
      });
  }
  return { verdicts, namespaces: [...namespaces].sort(), chartNotes: chartCrds.notes };
}
