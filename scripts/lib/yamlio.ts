/**
 * YAML in and out, one of each.
 *
 * Reading: every YAML file or stream (files people write, package files, goldens, tool output)
 * goes through `parseYamlDocuments` or `readYamlFile`. A syntax error, a duplicate key or an
 * alias chain that expands too far is a UserError naming `file:line:col`, so a bad file is an
 * error a person can act on (exit 1), never an internal error.
 *
 * Writing: `toYamlStream`, one style everywhere people read YAML (package files, tests/e2e/).
 * The stream `crossplane render` prints (keys sorted as Go orders them) is a format of its own,
 * `toYamlDocs` in render/yaml.ts.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseAllDocuments, stringify } from "yaml";
import { environmentError, UserError } from "./errors.js";
import { displayPath } from "./paths.js";

/** How far aliases may expand a document by default (the yaml package's guard against "billion laughs"). */
export const MAX_ALIAS_COUNT = 10_000;

export interface YamlReadOptions {
  /** How far aliases may expand one document; -1 for no limit (files we generate or pinned upstream files). */
  maxAliasCount?: number;
}

/** Every non-empty document of a YAML text as plain data; `file` names it in errors (`file:line:col: …`). */
export function parseYamlDocuments(text: string, file: string, options: YamlReadOptions = {}): unknown[] {
  const maxAliasCount = options.maxAliasCount ?? MAX_ALIAS_COUNT;
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) {
      const pos = lineCounter.linePos(err.pos[0]);
      const what = err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
      throw new UserError(`${file}:${pos.line}:${pos.col}: not valid YAML: ${what}`);
    }
  }
  return list
    .map((d) => {
      try {
        return d.toJS({ maxAliasCount }) as unknown;
      } catch (err) {
        // The yaml package refuses alias chains that would expand past the limit (a "YAML bomb").
        if (err instanceof ReferenceError && /alias/i.test(err.message)) {
          const at = d.range ? lineCounter.linePos(d.range[0]) : { line: 1, col: 1 };
          throw new UserError(
            `${file}:${at.line}:${at.col}: not accepted: its aliases (*name) expand to more than ${maxAliasCount} nodes, ` +
              "which looks like a YAML bomb; write the values out instead of nesting aliases",
          );
        }
        throw err;
      }
    })
    .filter((d) => d !== null && d !== undefined);
}

/**
 * Every non-empty document of a YAML file. `display` names the file in errors (default: the
 * path as a person sees it); a file that cannot be read is a UserError too.
 */
export function readYamlFile(path: string, options: YamlReadOptions & { display?: string } = {}): unknown[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw environmentError(err, `cannot read ${options.display ?? displayPath(path)}`) ?? err;
  }
  return parseYamlDocuments(text, options.display ?? displayPath(path), options);
}

/** Serialises documents as a YAML stream; key order is kept as given. */
export function toYamlStream(docs: readonly unknown[], header?: string): string {
  const body = docs.map((d) => stringify(d, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })).join("---\n");
  return (header ? header.replace(/^/gm, "# ") + "\n" : "") + body;
}
