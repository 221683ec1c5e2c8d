/**
 * A fast path for Helm repository indexes: reads `entries.<chart>[].version` from index.yaml as
 * Helm writes it (block style: `entries:` at the top, one key per chart, a block sequence of
 * entries whose keys sit two columns right of the dash) with a line scanner, which is tens of
 * times faster than a full YAML parse of a multi-megabyte index. Anything outside that shape
 * (flow style, tabs, anchors, quoted keys, a version YAML would not read as a string, a chart that
 * is not there) returns undefined, and the caller parses the whole document instead. Pure.
 */

export interface ScannedIndex {
  versions: string[];
  /** Entries without a version. */
  skipped: number;
}

/** Leading spaces (the scan gives up on any other white space before it starts). */
function indentOf(line: string): number {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  return i;
}
/** Only spaces, or a comment after them (called for every line of an index: no regular expression). */
function isBlankOrComment(line: string): boolean {
  const i = indentOf(line);
  return i === line.length || line.charCodeAt(i) === 35; // '#'
}
/** Plain scalars YAML reads as something other than a string (numbers, booleans, null). */
const NON_STRING = new RegExp(
  "^(?:" +
    [
      /[-+]?(?:\.\d+|\d[\d_]*(?:\.[\d_]*)?)(?:[eE][-+]?\d+)?/.source,
      /0x[0-9a-fA-F_]+|0o?[0-7_]+/.source,
      /[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)/.source,
      "~|null|Null|NULL|true|True|TRUE|false|False|FALSE",
      "y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF",
      /\d+(?::\d+)+(?:\.\d*)?/.source,
    ].join("|") +
    ")$",
);

/** The string value of a scalar after `version:`, or undefined when only a full parse can tell. */
function scalar(raw: string): string | undefined {
  const v = raw.replace(/\s+#.*$/, "").trim();
  if (v === "") return undefined;
  if (v.startsWith('"')) {
    if (!/^"(?:[^"\\]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"$/.test(v)) return undefined;
    return JSON.parse(v) as string;
  }
  if (v.startsWith("'")) {
    if (!/^'(?:[^']|'')*'$/.test(v)) return undefined;
    return v.slice(1, -1).replace(/''/g, "'");
  }
  if (/^[[\]{}&*!|>%@`,?:#-]/.test(v) || NON_STRING.test(v) || /:\s|\s#/.test(v)) return undefined;
  return v;
}

export function scanHelmIndex(text: string, chart: string): ScannedIndex | undefined {
  // White space other than spaces and line ends (tabs, form feeds, no-break spaces, a lone \r): a full parse decides.
  if (/[^\S \n\r]|\r(?!\n)/.test(text) || /^(---|\.\.\.)\s*$/m.test(text.replace(/^---\s*\n/, ""))) return undefined;
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  const start = lines.findIndex((l) => /^entries:\s*$/.test(l));
  if (start === -1) return undefined;
  // The entries mapping: up to the next top-level key.
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (!isBlankOrComment(lines[i]!) && indentOf(lines[i]!) === 0) {
      end = i;
      break;
    }
  }
  const keyIndent = lines.slice(start + 1, end).find((l) => !isBlankOrComment(l));
  if (keyIndent === undefined) return undefined;
  const chartIndent = indentOf(keyIndent);
  if (chartIndent === 0) return undefined;
  let from = -1;
  let to = end;
  for (let i = start + 1; i < end; i++) {
    const line = lines[i]!;
    if (isBlankOrComment(line) || indentOf(line) > chartIndent) continue;
    if (indentOf(line) < chartIndent) return undefined;
    if (line.startsWith("- ", chartIndent)) continue; // an entry of the chart above (Helm writes the dash at the key's column)
    const m = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*):\s*$/.exec(line);
    if (!m) return undefined;
    if (from !== -1) {
      to = i;
      break;
    }
    if (m[1] === chart) from = i + 1;
  }
  if (from === -1) return undefined;
  // The chart's entries: a block sequence; each entry's keys sit two columns right of its dash.
  const first = lines.slice(from, to).find((l) => !isBlankOrComment(l));
  if (first === undefined || !/^\s*- \S/.test(first)) return undefined;
  const dash = indentOf(first);
  if (dash < chartIndent) return undefined;
  const keyCol = dash + 2;
  const versions: string[] = [];
  let skipped = 0;
  let current: { versions: number } | undefined;
  const close = () => {
    if (current && current.versions === 0) skipped++;
  };
  for (let i = from; i < to; i++) {
    const line = lines[i]!;
    if (isBlankOrComment(line)) continue;
    const indent = indentOf(line);
    if (indent < dash) return undefined;
    let rest = "";
    if (indent === dash) {
      if (!line.startsWith("- ", dash) || line.length <= keyCol || line[keyCol] === " ") return undefined;
      close();
      current = { versions: 0 };
      rest = line.slice(keyCol);
    } else if (indent === keyCol) rest = line.slice(keyCol);
    else continue; // deeper: values of other keys, nested lists and mappings
    if (rest.startsWith("- ")) continue; // a list under one of the entry's keys (dependencies, …)
    const m = /^([A-Za-z0-9_.-]+):(?:\s(.*))?$/.exec(rest);
    if (!m) {
      if (/^["'?&*!{[]/.test(rest)) return undefined;
      continue;
    }
    if (m[1] !== "version") continue;
    if (!current) return undefined;
    if (current.versions > 0) return undefined; // a duplicate key: let the parser report it
    const value = scalar(m[2] ?? "");
    if (value === undefined) return undefined;
    versions.push(value);
    current.versions++;
  }
  close();
  return { versions, skipped };
}
