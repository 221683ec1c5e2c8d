/**
 * The stream that `crossplane render` prints (every key sorted, as Go's JSON encoding orders
 * them; a `---` before each document), and the small data helpers of the render layer. Reading
 * YAML is yamlio.ts's.
 */
import { parseYamlDocuments } from "../yamlio.js";
import type { KubeObject } from "./types.js";

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A deep copy with every mapping's keys sorted (the order Go's encoding/json writes). */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    // UTF-16 order equals Go's byte order for every key outside the surrogate range.
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out as T;
  }
  return value;
}

/** A deep copy through JSON: what survives a trip through a protobuf Struct and back. */
export function jsonCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** Serialises documents as `crossplane render` prints them: `---` before each, keys sorted. */
export function toYamlDocs(docs: readonly unknown[]): string {
  const out: string[] = [];
  for (const d of docs) {
    out.push("---\n");
    emit(sortKeys(d), 0, out);
  }
  return out.join("");
}

// A small YAML emitter for JSON data: block mappings and (indented) block sequences, strings
// plain only when no YAML 1.1 or 1.2 reader can take them for anything but a string, multi-line
// strings as literal blocks. Much faster than building a yaml Document for MB-sized streams.

const SPECIAL =
  /^(?:[yYnN~]|yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL|\.inf|\.Inf|\.INF|\.nan|\.NaN|\.NAN|<<|=)$/;
const PLAIN = /^[A-Za-z_/.$][\w ./:@,=+()$%^*&;~<>!?'`|{}[\]-]*$/;
const UNPRINTABLE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufeff\ud800-\udfff\ufffe\uffff]/;

// A YAML 1.1 float with every digit optional: "." alone is a float (NaN) to 1.1 readers.
const FLOAT_11 = /^[-+]?(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][-+]?[0-9]+)?$/;

function plainOk(s: string): boolean {
  return (
    PLAIN.test(s) &&
    !SPECIAL.test(s) &&
    !FLOAT_11.test(s) &&
    !/^[-+.]?\d/.test(s) &&
    !s.endsWith(" ") &&
    !s.endsWith(":") &&
    !s.includes(": ") &&
    !s.includes(" #") &&
    !/^[.][-+]?\d/.test(s)
  );
}

function scalar(s: string): string {
  return s !== "" && plainOk(s) ? s : JSON.stringify(s);
}

/** A literal block for a multi-line string, or undefined when only a quoted scalar can carry it. */
function literal(s: string, indent: number): string | undefined {
  if (!s.includes("\n") || s.includes("\r") || UNPRINTABLE.test(s) || /^[ \t]/.test(s) || s.startsWith("\n")) return undefined;
  const trailing = /\n*$/.exec(s)![0].length;
  const chomp = trailing === 0 ? "-" : trailing === 1 ? "" : "+";
  const body = trailing === 0 ? s : s.slice(0, -1);
  const pad = " ".repeat(indent);
  return (
    `|${chomp}\n` +
    body
      .split("\n")
      .map((l) => (l === "" ? "" : pad + l))
      .join("\n") +
    "\n"
  );
}

function inline(v: unknown): string | undefined {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "number") return Number.isFinite(v) ? String(v) : v > 0 ? ".inf" : v < 0 ? "-.inf" : ".nan";
  if (typeof v === "string") return v.includes("\n") ? undefined : scalar(v);
  if (Array.isArray(v)) return v.length === 0 ? "[]" : undefined;
  if (typeof v === "object") return Object.keys(v).length === 0 ? "{}" : undefined;
  return JSON.stringify(String(v));
}

/** Writes value (a mapping or sequence at the start of a line, or a scalar) at indentation `indent`. */
function emit(v: unknown, indent: number, out: string[]): void {
  const one = inline(v);
  if (one !== undefined) {
    out.push(" ".repeat(indent), one, "\n");
    return;
  }
  if (typeof v === "string") {
    out.push(" ".repeat(indent), literal(v, indent + 2) ?? JSON.stringify(v), "\n");
    return;
  }
  emitBlock(v, indent, " ".repeat(indent), out);
}

/** A block mapping or sequence; `first` is the prefix of its first line (indentation, or "- " of a parent item). */
function emitBlock(v: unknown, indent: number, first: string, out: string[]): void {
  const pad = " ".repeat(indent);
  let lead = first;
  if (Array.isArray(v)) {
    for (const item of v) {
      out.push(lead, "- ");
      valueAfterIndicator(item, indent + 2, out);
      lead = pad;
    }
    return;
  }
  for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
    out.push(lead, scalar(k), ":");
    const one = inline(item);
    if (one !== undefined) out.push(" ", one, "\n");
    else if (typeof item === "string") out.push(" ", literal(item, indent + 2) ?? JSON.stringify(item) + "\n");
    else {
      out.push("\n");
      emitBlock(item, indent + 2, " ".repeat(indent + 2), out);
    }
    lead = pad;
  }
}

/** The value of a sequence item, after its "- ". */
function valueAfterIndicator(v: unknown, indent: number, out: string[]): void {
  const one = inline(v);
  if (one !== undefined) out.push(one, "\n");
  else if (typeof v === "string") out.push(literal(v, indent) ?? JSON.stringify(v) + "\n");
  else emitBlock(v, indent, "", out);
}

/** Parses a rendered stream back into objects (goldens, crank's output). */
export function parseRenderStream(text: string, file: string): KubeObject[] {
  return parseYamlDocuments(text, file) as KubeObject[];
}
