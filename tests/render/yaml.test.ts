/** The stream emitter: what it writes parses back to the same data under YAML 1.2 and 1.1 readers. */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../../scripts/lib/paths.js";
import { sortKeys, toYamlDocs } from "../../scripts/lib/render/yaml.js";

const back = (text: string, version: "1.1" | "1.2") => parseAllDocuments(text, { version }).map((d) => d.toJS() as unknown);

const TRICKY: Record<string, unknown> = {
  empty: "",
  lead: " lead",
  trail: "trail ",
  colon: "x: y",
  version: "1.33",
  cidr: "10.0.0.0/16",
  dotUnderscore: "._",
  yes: "yes",
  y: "y",
  off: "off",
  nul: "null",
  tilde: "~",
  time: "2024-01-01T00:00:00Z",
  hex: "0x1F",
  exp: "1e3",
  dot: ".5",
  lone: ".",
  dots: "..",
  signDot: "-.",
  plus: "+1",
  merge: "<<",
  eq: "=",
  hash: "#c",
  spaceHash: "a #b",
  dash: "- x",
  dashWord: "-x",
  at: "@at",
  star: "*star",
  amp: "&amp",
  bang: "!tag",
  pct: "%pct",
  tick: "`tick",
  quote: "'q'",
  dquote: '"dq"',
  backslash: "a\\b",
  braces: "{braces}",
  brackets: "[x]",
  pipe: "|pipe",
  gt: ">gt",
  tab: "tab\there",
  unicode: "é ünïcødé",
  separator: "\u2028",
  crlf: "a\r\nb",
  block: "a\nb\n",
  blockStrip: "a\nb",
  blockKeep: "a\n\n",
  blockLeadSpace: " x\ny",
  blockIndented: "a\n  indented\n\n  more\n",
  blockDoc: "---\nkind: X\n...\n",
  "key: colon": 1,
  "": "empty key",
  "1": "numeric key",
  nested: [[1, [2]], { "x y": "z" }, [], {}, null, true, 1.5, -0.25, 1e21, ["a\nb\n"]],
};

describe("toYamlDocs", () => {
  it("writes strings that no YAML reader takes for anything else", () => {
    const text = toYamlDocs([TRICKY, { second: 2 }]);
    expect(back(text, "1.2")).toEqual([sortKeys(TRICKY), { second: 2 }]);
    expect(back(text, "1.1")).toEqual([sortKeys(TRICKY), { second: 2 }]);
  });

  it("writes a --- before every document and sorts keys", () => {
    const text = toYamlDocs([{ b: 1, a: { d: 1, c: 2 } }, []]);
    expect(text).toBe("---\na:\n  c: 2\n  d: 1\nb: 1\n---\n[]\n");
  });

  it("round-trips every golden file", () => {
    const dir = join(ROOT, "tests", "golden");
    const files = readdirSync(dir).filter((f) => f.endsWith(".yaml") && !f.endsWith(".actual.yaml"));
    expect(files.length).toBeGreaterThanOrEqual(15);
    for (const f of files) {
      const text = readFileSync(join(dir, f), "utf8");
      const data = back(text, "1.2");
      expect(toYamlDocs(data), f).toBe(text);
      expect(back(text, "1.1"), f).toEqual(data);
    }
  });
});
