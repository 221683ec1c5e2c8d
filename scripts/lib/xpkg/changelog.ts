/**
 * Release notes: the chart pins of kcl/apps.k that changed since the previous release tag.
 * Pins are read with the same extractor `npm run bump` uses, so a pin is what bump sees.
 */
import { execa } from "execa";
import semver from "semver";
import { UserError } from "../errors.js";
import { APPS_FILE, extractPins } from "../bump/kclfile.js";

export interface PinChange {
  /** Chart name, or the variable name for a chart tarball URL. */
  chart: string;
  /** Chart repository (https://…, oci://…), or "tarball". */
  source: string;
  from?: string;
  to?: string;
}

interface PinValue {
  chart: string;
  source: string;
  value: string;
}

function pinValues(text: string): Map<string, PinValue> {
  const out = new Map<string, PinValue>();
  for (const pin of extractPins(text).pins) {
    if (pin.kind === "tarball") out.set(`tarball ${pin.variable}`, { chart: pin.variable, source: "tarball", value: pin.value });
    for (const ref of pin.charts) out.set(`${ref.source} ${ref.chart}`, { chart: ref.chart, source: ref.source, value: pin.value });
  }
  return out;
}

/** Pins added, removed or changed between two versions of kcl/apps.k (before undefined: first release). */
export function chartPinChanges(before: string | undefined, after: string): PinChange[] {
  const old = before === undefined ? new Map<string, PinValue>() : pinValues(before);
  const now = pinValues(after);
  const changes: PinChange[] = [];
  for (const [key, pin] of now) {
    const was = old.get(key);
    if (!was) changes.push({ chart: pin.chart, source: pin.source, to: pin.value });
    else if (was.value !== pin.value) changes.push({ chart: pin.chart, source: pin.source, from: was.value, to: pin.value });
  }
  for (const [key, pin] of old) if (!now.has(key)) changes.push({ chart: pin.chart, source: pin.source, from: pin.value });
  return changes.sort((a, b) => a.chart.localeCompare(b.chart) || a.source.localeCompare(b.source));
}

const cell = (s: string | undefined) => (s === undefined ? "—" : s.replace(/\|/g, "\\|"));

/** Markdown for the release body. */
export function renderChangelog(input: { tag: string; previousTag?: string; changes: readonly PinChange[] }): string {
  const lines: string[] = [];
  if (input.previousTag === undefined) lines.push(`## Chart pins in ${input.tag} (first release)`, "");
  else lines.push(`## Chart pins changed since ${input.previousTag}`, "");
  if (input.changes.length === 0) {
    lines.push(`No chart pin changed since ${input.previousTag ?? "the start"}.`, "");
    return lines.join("\n");
  }
  lines.push("| chart | source | from | to |", "|---|---|---|---|");
  for (const c of input.changes) lines.push(`| ${cell(c.chart)} | ${cell(c.source)} | ${cell(c.from)} | ${cell(c.to)} |`);
  lines.push("");
  return lines.join("\n");
}

const RELEASE_TAG = /^v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/;

/** The newest release tag vX.Y.Z reachable from ref whose version is lower than `version`. */
export async function previousReleaseTag(root: string, version: string, ref = "HEAD"): Promise<string | undefined> {
  const r = await execa("git", ["tag", "--merged", ref, "--list", "v*"], { cwd: root, reject: false });
  if (r.exitCode !== 0)
    throw new UserError(
      `git tag --merged ${ref} failed: ${String(r.stderr).trim()} (the release workflow needs the full history: actions/checkout with fetch-depth: 0)`,
    );
  const candidates = String(r.stdout)
    .split("\n")
    .map((t) => t.trim())
    .filter((t) => RELEASE_TAG.test(t) && semver.valid(t.slice(1)) && semver.lt(t.slice(1), version));
  return candidates.sort((a, b) => semver.rcompare(a.slice(1), b.slice(1)))[0];
}

/** kcl/apps.k as it was at a git revision; undefined when it did not exist there. */
export async function appsFileAt(root: string, rev: string): Promise<string | undefined> {
  const r = await execa("git", ["show", `${rev}:${APPS_FILE}`], { cwd: root, reject: false, stripFinalNewline: false });
  if (r.exitCode === 0) return String(r.stdout);
  if (/does not exist|exists on disk, but not in/.test(String(r.stderr))) return undefined;
  throw new UserError(`git show ${rev}:${APPS_FILE} failed: ${String(r.stderr).trim()}`);
}

/** The changelog of the release `tag` (vX.Y.Z) against the previous release tag, from the work tree's kcl/apps.k. */
export async function releaseChangelog(
  root: string,
  tag: string,
  currentApps: string,
): Promise<{ previousTag?: string; changes: PinChange[]; markdown: string }> {
  const previousTag = await previousReleaseTag(root, tag.replace(/^v/, ""));
  const before = previousTag === undefined ? undefined : await appsFileAt(root, previousTag);
  const changes = chartPinChanges(before, currentApps);
  return { ...(previousTag ? { previousTag } : {}), changes, markdown: renderChangelog({ tag, ...(previousTag ? { previousTag } : {}), changes }) };
}
