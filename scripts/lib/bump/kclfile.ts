/**
 * Where chart versions live: the pins of kcl/apps.k. Reads the Renovate-style markers and the
 * `_name = "version"` lines below them, and splices a new version literal into the text so that
 * every other byte stays. No I/O: text in, data or text out.
 *
 *   # renovate: datasource=helm depName=<chart> registryUrl=<https://repo>
 *   _name = "1.2.3"
 *
 *   # renovate: datasource=docker depName=docker.io/envoyproxy/<chart>     (OCI chart)
 *   # renovate: datasource=docker depName=docker.io/envoyproxy/<chart2>    (same version)
 *   _name = "v1.2.3"
 */
import { LAYOUT } from "../paths.js";

export const APPS_FILE = LAYOUT.apps;

export type Datasource = "helm" | "docker";

export interface ChartRef {
  /** Chart name: the last path segment of depName (ai-gateway-helm). */
  chart: string;
  depName: string;
  datasource: Datasource;
  registryUrl?: string;
  /** Where versions are listed: https://repo (Helm index) or oci://host/path/chart. */
  source: string;
  /** 1-based line of the marker. */
  markerLine: number;
}

export type PinKind = "chart" | "tarball" | "unmarked";

export interface Pin {
  /** Variable name without the leading underscore (aiGateway). */
  variable: string;
  /** 1-based line of the `_name = "…"` declaration. */
  line: number;
  value: string;
  /** Offsets of the literal's content (between the quotes) in the text. */
  valueStart: number;
  valueEnd: number;
  kind: PinKind;
  charts: ChartRef[];
  /** Why this pin cannot be bumped as it is (value not a version, …). */
  problem?: string;
}

export interface FileProblem {
  line: number;
  message: string;
}

export interface Extracted {
  pins: Pin[];
  /** Markers that cannot be read; any one of them stops a bump. */
  problems: FileProblem[];
}

export const MARKER_FORMAT = [
  "# renovate: datasource=helm depName=<chart> registryUrl=<https://chart-repo>",
  "# renovate: datasource=docker depName=<host>/<path>/<chart>",
];

/** A version literal bump may write: semver with an optional leading v, nothing else. */
export const WRITABLE_VERSION = /^v?(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

const MARKER_START = /^[ \t]*#[ \t]*renovate[ \t]*:/i;
const MARKER = /^# renovate: datasource=(\S+) depName=(\S+)(?: registryUrl=(\S+))?[ \t]*$/;
const DECLARATION = /^_([A-Za-z][A-Za-z0-9_]*)(?:[ \t]*:[ \t]*str)?[ \t]*=[ \t]*"([^"\\\n]*)"[ \t]*(?:#.*)?$/;
const TARBALL = /^https?:\/\/\S+\.tgz$/;
const VERSION_LIKE = /^v?\d+\.\d+/;
const CHART_NAME = /^[a-z0-9][a-z0-9._-]*$/;

interface Line {
  text: string;
  start: number;
  number: number;
}

function lines(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  let number = 1;
  for (;;) {
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    const raw = text.slice(start, end);
    out.push({ text: raw.endsWith("\r") ? raw.slice(0, -1) : raw, start, number });
    if (nl === -1 || nl === text.length - 1) break;
    start = nl + 1;
    number++;
  }
  return out;
}

function parseMarker(line: Line): ChartRef | string {
  if (!line.text.startsWith("#")) return "the marker must start at the beginning of the line";
  const m = MARKER.exec(line.text);
  if (!m) return `cannot read the marker; expected exactly one of:\n    ${MARKER_FORMAT.join("\n    ")}`;
  const [, datasource, depName, registryUrl] = m as unknown as [string, string, string, string | undefined];
  if (datasource === "helm") {
    if (!CHART_NAME.test(depName)) return `depName=${depName} is not a chart name (expected lower-case letters, digits, '.', '_', '-')`;
    if (!registryUrl) return "a datasource=helm marker needs registryUrl=<https://chart-repo>";
    if (!/^https?:\/\/[^\s/]+/.test(registryUrl)) return `registryUrl=${registryUrl} is not an http(s) URL`;
    return { chart: depName, depName, datasource, registryUrl, source: registryUrl, markerLine: line.number };
  }
  if (datasource === "docker") {
    if (registryUrl) return "a datasource=docker marker names the registry in depName (depName=docker.io/envoyproxy/<chart>), not with registryUrl";
    const parts = depName.split("/");
    const chart = parts[parts.length - 1] ?? "";
    if (parts.length < 2 || parts.some((p) => p === "") || !CHART_NAME.test(chart))
      return `depName=${depName} is not an OCI repository (expected <host>/<path>/<chart>, e.g. docker.io/envoyproxy/gateway-helm)`;
    const withHost = parts[0]!.includes(".") || parts[0]!.includes(":") || parts[0] === "localhost" ? depName : `docker.io/${depName}`;
    return { chart, depName, datasource, source: `oci://${withHost}`, markerLine: line.number };
  }
  return `datasource=${datasource} is not supported (expected datasource=helm or datasource=docker)`;
}

/** Reads every pin and marker of the file. Never throws: problems are returned as data. */
export function extractPins(text: string): Extracted {
  const pins: Pin[] = [];
  const problems: FileProblem[] = [];
  let pending: { line: Line; ref: ChartRef | undefined }[] = [];
  const flushPending = (why: string) => {
    for (const p of pending)
      if (p.ref) problems.push({ line: p.line.number, message: `marker for ${p.ref.depName} is not directly above a \`_name = "version"\` line (${why})` });
    pending = [];
  };
  for (const line of lines(text)) {
    if (MARKER_START.test(line.text)) {
      const ref = parseMarker(line);
      if (typeof ref === "string") {
        problems.push({ line: line.number, message: ref });
        pending.push({ line, ref: undefined });
      } else pending.push({ line, ref });
      continue;
    }
    const m = DECLARATION.exec(line.text);
    if (!m) {
      if (pending.length) flushPending(line.text.trim() === "" ? "a blank line separates them" : `line ${line.number} is \`${line.text.trim().slice(0, 60)}\``);
      continue;
    }
    const [, variable, value] = m as unknown as [string, string, string];
    const quote = line.text.indexOf('"');
    const valueStart = line.start + quote + 1;
    const charts = pending.flatMap((p) => (p.ref ? [p.ref] : []));
    const hadMarkers = pending.length > 0;
    pending = [];
    let kind: PinKind;
    let problem: string | undefined;
    if (hadMarkers) {
      kind = "chart";
      if (!WRITABLE_VERSION.test(value)) problem = `its value ${JSON.stringify(value)} is not a version (expected e.g. "1.2.3" or "v1.2.3")`;
    } else if (TARBALL.test(value)) kind = "tarball";
    else if (VERSION_LIKE.test(value)) {
      kind = "unmarked";
      problem = `it has no marker above it; add one of:\n    ${MARKER_FORMAT.join("\n    ")}`;
    } else continue;
    if (pins.some((p) => p.variable === variable)) {
      problems.push({ line: line.number, message: `_${variable} is declared twice` });
      continue;
    }
    pins.push({ variable, line: line.number, value, valueStart, valueEnd: valueStart + value.length, kind, charts, ...(problem ? { problem } : {}) });
  }
  if (pending.length) flushPending("the file ends");
  const seen = new Map<string, Pin>();
  for (const pin of pins) {
    for (const ref of pin.charts) {
      const other = seen.get(ref.source + " " + ref.chart);
      if (other && other !== pin) problems.push({ line: ref.markerLine, message: `${ref.depName} is pinned twice (_${other.variable} and _${pin.variable})` });
      seen.set(ref.source + " " + ref.chart, pin);
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { pins, problems };
}

/**
 * Replaces one pin's literal and confirms, by reading the new text again, that exactly that
 * value changed. Throws Error (a bug) when the text no longer holds the pin where it was.
 */
export function replacePinValue(text: string, pin: Pin, newValue: string): string {
  if (!WRITABLE_VERSION.test(newValue)) throw new Error(`refusing to write ${JSON.stringify(newValue)}: not a plain version`);
  if (text.slice(pin.valueStart, pin.valueEnd) !== pin.value) throw new Error(`_${pin.variable} is no longer at line ${pin.line}`);
  const next = text.slice(0, pin.valueStart) + newValue + text.slice(pin.valueEnd);
  const before = extractPins(text).pins;
  const after = extractPins(next).pins;
  const ok =
    before.length === after.length &&
    after.every((p, i) => {
      const b = before[i]!;
      if (p.variable !== b.variable || p.line !== b.line || p.charts.length !== b.charts.length) return false;
      return p.variable === pin.variable ? p.value === newValue : p.value === b.value;
    });
  if (!ok) throw new Error(`writing ${newValue} into _${pin.variable} did not leave exactly that change`);
  return next;
}

/** Variable name as people see it (aiGateway) -> alias (ai-gateway). */
export function aliasOf(variable: string): string {
  return variable
    .replace(/_/g, "-")
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase();
}
