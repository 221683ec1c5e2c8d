/**
 * `npm run check -- --summary`: what a change to the sources does to the Clusters, as Markdown
 * short enough for a pull-request comment. Compares the committed side (package/ and
 * tests/golden/, from the work tree or a git ref) with what kcl/ renders now: per case the
 * composed resources added, removed (each one a live resource an upgrade deletes) and changed
 * (chart version, changed paths, a short diff folded in <details>), the chart versions across all
 * cases, and the package-level changes (XRD fields, dependsOn, compositions). Pure: texts in,
 * Markdown out; sorted and deterministic.
 */
import { createTwoFilesPatch } from "diff";
import { isObject, parseRenderStream, toYamlDocs } from "../render/yaml.js";
import type { KubeObject } from "../render/types.js";
import { ANNOTATION_RESOURCE_NAME } from "../paths.js";

export const RESOURCE_NAME_ANNOTATION = ANNOTATION_RESOURCE_NAME;

/** One side of the comparison. */
export interface SummarySide {
  /** The package's YAML files by path relative to package/ (crossplane.yaml, definition.yaml, …). */
  package: ReadonlyMap<string, string>;
  /** Each case's render, as golden text (tests/golden/<case>.yaml). */
  renders: ReadonlyMap<string, string>;
  /** Cases that did not render now, with the error (only on the sources' side). */
  failed?: ReadonlyMap<string, string>;
}

export interface SummaryOptions {
  /** What the committed side is, for the heading line (default "the committed package/ and tests/golden/"). */
  before?: string;
  /** Lines per list before "… and N more" (default 25). */
  maxItems?: number;
  /** Changed paths shown per resource (default 6). */
  maxPaths?: number;
  /** Lines per folded diff (default 30). */
  diffLines?: number;
  /** The whole report at most this many characters (default 60,000; a GitHub comment holds 65,536). */
  maxChars?: number;
}

export interface Summary {
  markdown: string;
  /** Number of differences found (0: "no changes"). */
  changes: number;
}

type Leaves = Map<string, string>;

function leaves(value: unknown, path: string, out: Leaves): Leaves {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(path, "[]");
    value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  } else if (isObject(value)) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) out.set(path, "{}");
    for (const k of keys) leaves(value[k], path ? `${path}.${/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k)}` : k, out);
  } else out.set(path, JSON.stringify(value));
  return out;
}

function at(obj: unknown, path: string[]): unknown {
  let v = obj;
  for (const p of path) v = isObject(v) ? v[p] : undefined;
  return v;
}

const code = (s: string) => "`" + s.replace(/`/g, "'") + "`";

function more(items: string[], max: number, what = "more"): string[] {
  return items.length > max ? [...items.slice(0, max), `- … and ${items.length - max} ${what}`] : items;
}

/** Composed resources of a rendered stream by composition resource name. */
function composed(text: string, file: string): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const doc of parseRenderStream(text, file)) {
    const name = doc.metadata?.annotations?.[RESOURCE_NAME_ANNOTATION];
    if (name) out.set(name, doc);
  }
  return out;
}

interface Chart {
  name: string;
  repository: string;
  version: string;
}

function chartOf(obj: KubeObject): Chart | undefined {
  const c = at(obj, ["spec", "forProvider", "chart"]);
  if (!isObject(c) || typeof c.name !== "string") return undefined;
  return { name: c.name, repository: String(c.repository ?? c.url ?? ""), version: String(c.version ?? "") };
}

function changedPaths(a: KubeObject, b: KubeObject): string[] {
  const la = leaves(a, "", new Map());
  const lb = leaves(b, "", new Map());
  const out: string[] = [];
  for (const p of [...new Set([...la.keys(), ...lb.keys()])].sort()) {
    if (p.startsWith("spec.forProvider.chart.")) continue;
    const was = la.get(p);
    const now = lb.get(p);
    if (was === now) continue;
    const shown =
      p === "spec.forProvider.values" || p.startsWith("spec.forProvider.values.") || p.startsWith("spec.forProvider.values[")
        ? p.slice("spec.forProvider.".length)
        : p;
    out.push(`${code(shown)} ${was === undefined ? "(added)" : now === undefined ? "(removed)" : "(changed)"}`);
  }
  return out;
}

function shortDiff(name: string, a: KubeObject, b: KubeObject, lines: number): string {
  const patch = createTwoFilesPatch(name, name, toYamlDocs([a]), toYamlDocs([b]), "", "", { context: 2 });
  const body = patch.split("\n");
  const start = body.findIndex((l) => l.startsWith("@@"));
  const hunk = body.slice(start).filter((l) => l !== "\\ No newline at end of file");
  while (hunk.length && hunk.at(-1) === "") hunk.pop();
  const shown = hunk.length > lines ? [...hunk.slice(0, lines), `… ${hunk.length - lines} more diff lines`] : hunk;
  return shown.join("\n");
}

const label = (name: string, obj: KubeObject) => `${code(obj.kind)} ${code(name)}`;

interface CaseReport {
  lines: string[];
  details: string[];
  changes: number;
  heading: string;
}

function compareCase(
  name: string,
  before: string | undefined,
  after: string | undefined,
  failed: string | undefined,
  o: Required<SummaryOptions>,
): CaseReport | undefined {
  if (failed !== undefined) return { heading: `${code(name)}: does not render`, lines: [`- ${failed.split("\n")[0]}`], details: [], changes: 1 };
  if (before === undefined && after === undefined) return undefined;
  const old = before === undefined ? new Map<string, KubeObject>() : composed(before, `tests/golden/${name}.yaml`);
  const now = after === undefined ? new Map<string, KubeObject>() : composed(after, `tests/golden/${name}.yaml (rendered now)`);
  const added: string[] = [];
  const removed: string[] = [];
  const changed: string[] = [];
  const details: string[] = [];
  for (const n of [...now.keys()].sort()) if (!old.has(n)) added.push(`- added ${label(n, now.get(n)!)}`);
  for (const n of [...old.keys()].sort()) {
    if (!now.has(n)) removed.push(`- ⚠️ removed ${label(n, old.get(n)!)}: an upgrade deletes this live resource (see \`npm run upgrade-check\`)`);
  }
  for (const n of [...old.keys()].sort()) {
    const a = old.get(n)!;
    const b = now.get(n);
    if (!b || JSON.stringify(a) === JSON.stringify(b)) continue;
    const parts: string[] = [];
    const ca = chartOf(a);
    const cb = chartOf(b);
    if (ca && cb && (ca.version !== cb.version || ca.name !== cb.name || ca.repository !== cb.repository)) {
      parts.push(
        ca.name === cb.name && ca.repository === cb.repository
          ? `chart ${ca.name} ${ca.version} → ${cb.version}`
          : `chart ${ca.name}@${ca.version} (${ca.repository}) → ${cb.name}@${cb.version} (${cb.repository})`,
      );
    }
    const paths = changedPaths(a, b);
    if (paths.length)
      parts.push(paths.length > o.maxPaths ? `${paths.slice(0, o.maxPaths).join(", ")}, … ${paths.length - o.maxPaths} more paths` : paths.join(", "));
    changed.push(`- changed ${label(n, b)}: ${parts.join("; ")}`);
    details.push(`<details><summary>diff of <code>${n}</code></summary>\n\n\`\`\`diff\n${shortDiff(n, a, b, o.diffLines)}\n\`\`\`\n\n</details>`);
  }
  const changes = added.length + removed.length + changed.length;
  if (before === undefined)
    return { heading: `${code(name)}: new case, ${now.size} composed resources`, lines: more(added, o.maxItems), details: [], changes: Math.max(1, changes) };
  if (after === undefined) return { heading: `${code(name)}: case removed (${old.size} composed resources)`, lines: [], details: [], changes: 1 };
  if (changes === 0) return undefined;
  const counts = [added.length && `${added.length} added`, removed.length && `${removed.length} removed`, changed.length && `${changed.length} changed`]
    .filter(Boolean)
    .join(", ");
  return { heading: `${code(name)}: ${counts}`, lines: more([...added, ...removed, ...changed], o.maxItems), details: details.slice(0, o.maxItems), changes };
}

/** Chart versions across every case: chart (repository) -> the set of versions rendered. */
function chartVersions(renders: ReadonlyMap<string, string>): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [name, text] of renders) {
    for (const obj of composed(text, `tests/golden/${name}.yaml`).values()) {
      const c = chartOf(obj);
      if (!c) continue;
      const key = `${c.name} (${c.repository})`;
      if (!out.has(key)) out.set(key, new Set());
      out.get(key)!.add(c.version);
    }
  }
  return out;
}

function chartLines(before: SummarySide, after: SummarySide): string[] {
  const a = chartVersions(before.renders);
  const b = chartVersions(after.renders);
  const out: string[] = [];
  const list = (s: Set<string> | undefined) => (s?.size ? [...s].sort().join(", ") : undefined);
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const was = list(a.get(key));
    const now = list(b.get(key));
    if (was === now) continue;
    const [chart, repo] = [key.slice(0, key.indexOf(" (")), key.slice(key.indexOf(" (") + 2, -1)];
    out.push(`- ${code(chart)} (${repo}): ${was ?? "not installed"} → ${now ?? "no longer installed by any case"}`);
  }
  return out;
}

function docsOf(side: SummarySide, file: string): KubeObject[] {
  const text = side.package.get(file);
  return text === undefined ? [] : parseRenderStream(text, `package/${file}`);
}

function describeSchema(s: Record<string, unknown>, required: boolean): string {
  const bits = [String(s.type ?? "any")];
  if (required) bits.push("required");
  if (s.default !== undefined) bits.push(`default ${JSON.stringify(s.default)}`);
  if (Array.isArray(s.enum)) bits.push(`one of ${s.enum.map((e) => JSON.stringify(e)).join("/")}`);
  return bits.join(", ");
}

/** Every field of an XRD schema: path -> "type, required, default …". */
function xrdFields(side: SummarySide): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (schema: unknown, path: string, required: boolean) => {
    if (!isObject(schema)) return;
    if (path) out.set(path, describeSchema(schema, required));
    const req = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    if (isObject(schema.properties)) for (const [k, v] of Object.entries(schema.properties)) walk(v, path ? `${path}.${k}` : k, req.has(k));
    if (isObject(schema.items)) walk(schema.items, `${path}[]`, false);
    if (isObject(schema.additionalProperties)) walk(schema.additionalProperties, `${path}.*`, false);
  };
  for (const xrd of docsOf(side, "definition.yaml").filter((d) => d.kind === "CompositeResourceDefinition")) {
    const versions = at(xrd, ["spec", "versions"]);
    if (!Array.isArray(versions)) continue;
    for (const v of versions) {
      if (!isObject(v)) continue;
      walk(at(v, ["schema", "openAPIV3Schema"]), `${String(at(xrd, ["spec", "names", "kind"]))} ${String(v.name)}:`, false);
    }
  }
  // Drop the "Kind version:" root entry; keep "Kind version: spec.parameters…".
  return new Map([...out].filter(([k]) => !k.endsWith(":")).map(([k, v]) => [k.replace(/: ?\./, ": "), v]));
}

function dependsOn(side: SummarySide): Map<string, string> {
  const out = new Map<string, string>();
  for (const cfg of docsOf(side, "crossplane.yaml")) {
    const deps = at(cfg, ["spec", "dependsOn"]);
    if (!Array.isArray(deps)) continue;
    for (const d of deps) {
      if (!isObject(d)) continue;
      const name = String(d.package ?? d.provider ?? d.configuration ?? d.function ?? `${String(d.apiVersion)} ${String(d.kind)}`);
      out.set(name, String(d.version ?? "any version"));
    }
  }
  return out;
}

function compositions(side: SummarySide): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of docsOf(side, "compositions.yaml")) if (c.kind === "Composition" && c.metadata?.name) out.set(c.metadata.name, JSON.stringify(c.spec));
  return out;
}

function mapDiff(a: Map<string, string>, b: Map<string, string>): { added: string[]; removed: string[]; changed: string[] } {
  const added = [...b.keys()].filter((k) => !a.has(k)).sort();
  const removed = [...a.keys()].filter((k) => !b.has(k)).sort();
  const changed = [...a.keys()].filter((k) => b.has(k) && a.get(k) !== b.get(k)).sort();
  return { added, removed, changed };
}

function packageLines(before: SummarySide, after: SummarySide, o: Required<SummaryOptions>): string[] {
  const out: string[] = [];
  const fa = xrdFields(before);
  const fb = xrdFields(after);
  const f = mapDiff(fa, fb);
  out.push(
    ...more(
      f.added.map((k) => `- XRD field added ${code(k)} (${fb.get(k)})`),
      o.maxItems,
      "more added fields",
    ),
  );
  out.push(
    ...more(
      f.removed.map((k) => `- ⚠️ XRD field removed ${code(k)} (was ${fa.get(k)}): Clusters that set it no longer validate`),
      o.maxItems,
      "more removed fields",
    ),
  );
  out.push(
    ...more(
      f.changed.map((k) => `- XRD field changed ${code(k)}: ${fa.get(k)} → ${fb.get(k)}`),
      o.maxItems,
      "more changed fields",
    ),
  );
  const da = dependsOn(before);
  const db = dependsOn(after);
  const d = mapDiff(da, db);
  for (const k of d.added) out.push(`- dependsOn added ${code(k)} ${db.get(k)}`);
  for (const k of d.removed) out.push(`- dependsOn removed ${code(k)} (was ${da.get(k)})`);
  for (const k of d.changed) out.push(`- dependsOn ${code(k)}: ${da.get(k)} → ${db.get(k)}`);
  const c = mapDiff(compositions(before), compositions(after));
  for (const k of c.added) out.push(`- composition added ${code(k)}`);
  for (const k of c.removed) out.push(`- ⚠️ composition removed ${code(k)}: Clusters that select it stop reconciling`);
  if (c.changed.length)
    out.push(`- compositions whose pipeline changed: ${c.changed.map(code).join(", ")} (what that does to Clusters is listed per case below)`);
  return out;
}

export function summarizeChanges(before: SummarySide, after: SummarySide, options: SummaryOptions = {}): Summary {
  const o: Required<SummaryOptions> = {
    before: options.before ?? "the committed `package/` and `tests/golden/`",
    maxItems: options.maxItems ?? 25,
    maxPaths: options.maxPaths ?? 6,
    diffLines: options.diffLines ?? 30,
    maxChars: options.maxChars ?? 60_000,
  };
  const cases = [...new Set([...before.renders.keys(), ...after.renders.keys(), ...(after.failed?.keys() ?? [])])].sort();
  const reports: CaseReport[] = [];
  let unchanged = 0;
  for (const name of cases) {
    const r = compareCase(name, before.renders.get(name), after.renders.get(name), after.failed?.get(name), o);
    if (r) reports.push(r);
    else unchanged++;
  }
  const charts = chartLines(before, after);
  const pkg = packageLines(before, after, o);
  const changes = reports.reduce((n, r) => n + r.changes, 0) + pkg.length + charts.length;
  const out: string[] = ["## What changes for a Cluster", "", `From ${o.before} to what \`kcl/\` renders now (\`npm run check -- --summary\`).`, ""];
  if (changes === 0) {
    out.push(`No changes: \`package/\` and all ${cases.length} cases render as committed.`);
    return { markdown: out.join("\n") + "\n", changes };
  }
  if (charts.length) out.push("### Chart versions", "", ...more(charts, o.maxItems), "");
  if (pkg.length) out.push("### Package", "", ...pkg, "");
  if (reports.length) {
    out.push(`### Cases (${reports.length} changed, ${unchanged} unchanged)`, "");
    for (const r of reports) {
      out.push(`#### ${r.heading}`, "");
      if (r.lines.length) out.push(...r.lines, "");
      for (const d of r.details) out.push(d, "");
    }
  }
  return { markdown: truncate(out.join("\n").replace(/\n+$/, "") + "\n", o.maxChars), changes };
}

/** Cuts the report at a line boundary (never inside a folded diff) and says how much was left out. */
function truncate(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  const lines = text.split("\n");
  const kept: string[] = [];
  let size = 0;
  let open = false;
  let cut = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (size + line.length + 1 > maxChars - 200) {
      cut = i;
      break;
    }
    kept.push(line);
    size += line.length + 1;
    if (line.startsWith("<details>")) open = true;
    if (line === "</details>") open = false;
  }
  if (open) {
    const start = kept.map((l) => l.startsWith("<details>")).lastIndexOf(true);
    cut -= kept.length - start;
    kept.length = start;
  }
  const left = lines.length - cut;
  return `${kept.join("\n").replace(/\n+$/, "")}\n\n… report truncated: ${left} more lines. Run \`npm run check -- --summary\` for all of it.\n`;
}
