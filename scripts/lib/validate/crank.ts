/**
 * Runs `crossplane beta validate` (crank v2.2) over a list of resources and attributes every
 * line it prints to the resource it is about.
 *
 * crank facts this relies on (cmd/crank/beta/validate): it always adds the Crossplane image
 * (--crossplane-image) to the packages whose schemas it wants and downloads those into
 * --cache-dir unless <cache-dir>/<image with ':' replaced by '@'> exists, so an existing empty
 * folder keeps it offline (Crossplane's CRDs are passed as files instead). It validates the
 * resources in input order and prints, per resource, "[✓] …", one "[x] schema|CEL validation
 * error <gvk>, <name> : <error>" line per error, or "[!] could not find CRD/XRD for: <gvk>",
 * then a "Total …" line. Resources are separated here by a resource of an unknown kind, whose
 * "could not find" line marks the boundary, so lines map to resources even when names repeat.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { execa } from "execa";
import type { KubeObject } from "../render/types.js";

export interface ValidationError {
  /** "schema" (OpenAPI schema, unknown fields), "cel" (x-kubernetes-validations), "defaults". */
  rule: "schema" | "cel" | "defaults";
  /** Field path the error is about (spec.forProvider.region), when crank names one. */
  field?: string;
  message: string;
}

export interface Verdict {
  status: "valid" | "invalid" | "no-schema";
  errors: ValidationError[];
  /**
   * Objects crank validated on the resource's behalf: for a Composition, the input of each
   * pipeline step (crank's loader adds them as resources of their own, before the Composition).
   */
  nested: { gvk: string; name: string; status: Verdict["status"]; errors: ValidationError[] }[];
}

/** How crank prints a GroupVersionKind: "group/version, Kind=Kind" ("/v1, Kind=…" for the core group). */
export function gvkString(object: KubeObject): string {
  const apiVersion = object.apiVersion.includes("/") ? object.apiVersion : `/${object.apiVersion}`;
  return `${apiVersion}, Kind=${object.kind}`;
}

export interface CrankValidateOptions {
  crossplane: string;
  /** CRD and XRD files to validate against. */
  extensions: string[];
  resources: readonly KubeObject[];
  /** Crossplane image name crank associates with its built-in schemas (never fetched). */
  crossplaneImage: string;
}

const SEPARATOR: KubeObject = { apiVersion: "separator.validate.invalid/v1", kind: "ResourceBoundary", metadata: { name: "boundary" } };
const SEPARATOR_LINE = "[!] could not find CRD/XRD for: separator.validate.invalid/v1, Kind=ResourceBoundary";

interface Line {
  gvk: string;
  name: string;
  kind: "valid" | "missing" | "error";
  error?: ValidationError;
}

/** Splits an error into field and message: "spec.x: Invalid value: …" -> field spec.x. */
function parseError(rule: ValidationError["rule"], error: string): ValidationError {
  const m = /^([A-Za-z0-9_.[\]\-/"\\]+|<nil>): (.*)$/s.exec(error);
  if (m && m[1] !== "<nil>") return { rule, field: m[1]!, message: m[2]! };
  return { rule, message: m ? m[2]! : error };
}

/** "<gvk>, <name>" where gvk itself contains ", Kind=": split at the comma after the kind. */
function splitSubject(subject: string): { gvk: string; name: string } {
  const k = subject.indexOf(", Kind=");
  const comma = k === -1 ? -1 : subject.indexOf(", ", k + 7);
  return comma === -1 ? { gvk: subject, name: "" } : { gvk: subject.slice(0, comma), name: subject.slice(comma + 2) };
}

function parseLine(line: string): Line {
  let m;
  if ((m = /^\[x\] (schema|CEL) validation error (.*?) : (.*)$/s.exec(line))) {
    return { ...splitSubject(m[2]!), kind: "error", error: parseError(m[1] === "CEL" ? "cel" : "schema", m[3]!) };
  }
  if ((m = /^\[!\] failed to apply defaults for (.*?): (.*)$/s.exec(line)))
    return { ...splitSubject(m[1]!), kind: "error", error: { rule: "defaults", message: m[2]! } };
  if ((m = /^\[!\] could not find CRD\/XRD for: (.*)$/.exec(line))) return { gvk: m[1]!.trim(), name: "", kind: "missing" };
  if ((m = /^\[✓\] (.*) validated successfully$/.exec(line))) return { ...splitSubject(m[1]!), kind: "valid" };
  if (/^schemas does not exist, downloading/.test(line))
    throw new Error(`crossplane beta validate tried to download schemas (it must work offline here): ${line}`);
  throw new Error(`unexpected line from crossplane beta validate: ${line}`);
}

function verdictOf(lines: readonly Line[]): Omit<Verdict, "nested"> {
  const errors = lines.flatMap((l) => (l.error ? [l.error] : []));
  const status: Verdict["status"] = lines.some((l) => l.kind === "missing")
    ? "no-schema"
    : errors.some((e) => e.rule !== "defaults") || !lines.some((l) => l.kind === "valid")
      ? "invalid"
      : "valid";
  return { status, errors };
}

/** Attributes crank's output to the resources it was given (gvkString of each, in order). */
export function parseCrankOutput(output: string, resources: readonly string[]): Verdict[] {
  const groups: string[][] = [[]];
  let sawTotal = false;
  for (const raw of output.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (line === SEPARATOR_LINE) {
      groups.push([]);
      continue;
    }
    if (/^Total \d+ resources:/.test(line)) {
      sawTotal = true;
      continue;
    }
    if (line.trim() === "") continue;
    const current = groups[groups.length - 1]!;
    if (line.startsWith("[") || current.length === 0) current.push(line);
    else current[current.length - 1] += "\n" + line;
  }
  if (!sawTotal || groups.length !== resources.length) {
    throw new Error(
      `cannot read the output of crossplane beta validate (expected ${resources.length} resources, found ${groups.length}):\n${output.slice(0, 4000)}`,
    );
  }
  return groups.map((g, i) => {
    const lines = g.map(parseLine);
    const own = lines.filter((l) => l.gvk === resources[i]);
    const others = lines.filter((l) => l.gvk !== resources[i]);
    const nested: Verdict["nested"] = [];
    // Nested objects come before the resource, one after the other: a new one starts at each
    // line whose subject differs from the previous line's.
    let run: Line[] = [];
    const flush = () => {
      if (run.length) nested.push({ gvk: run[0]!.gvk, name: run[0]!.name, ...verdictOf(run) });
      run = [];
    };
    for (const l of others) {
      const prev = run[run.length - 1];
      if (prev && (prev.gvk !== l.gvk || prev.name !== l.name || prev.kind !== "error")) flush();
      run.push(l);
    }
    flush();
    return { ...verdictOf(own), nested };
  });
}

export async function crankValidate(options: CrankValidateOptions): Promise<Verdict[]> {
  if (options.resources.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), "validate-"));
  try {
    const ext = join(dir, "extensions");
    mkdirSync(ext);
    options.extensions.forEach((file, i) => symlinkSync(file, join(ext, `${String(i).padStart(4, "0")}-${basename(file)}`)));
    const docs: KubeObject[] = [];
    options.resources.forEach((r, i) => {
      if (i > 0) docs.push(SEPARATOR);
      docs.push(r);
    });
    const resources = join(dir, "resources.yaml");
    writeFileSync(resources, docs.map((d) => JSON.stringify(d)).join("\n---\n") + "\n");
    const cache = join(dir, "cache");
    mkdirSync(join(cache, options.crossplaneImage.replace(/:/g, "@")), { recursive: true });
    const r = await execa(options.crossplane, ["beta", "validate", ext, resources, "--cache-dir", cache, "--crossplane-image", options.crossplaneImage], {
      reject: false,
      all: true,
      env: { NO_COLOR: "1" },
    });
    const out = String(r.stdout ?? "");
    if (!/^Total \d+ resources:/m.test(out)) {
      throw new Error(
        `crossplane beta validate failed (exit ${r.exitCode}):\n${String(r.all ?? "")
          .trim()
          .slice(0, 4000)}`,
      );
    }
    return parseCrankOutput(out, options.resources.map(gvkString));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
