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
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { environmentError, UserError } from "./errors.js";
import { writeFileAtomic } from "./fsutil.js";
import { displayPath } from "./paths.js";

// The yaml package loads on first use (a few tens of milliseconds): a warm `npm run check`
// finds every parse in the cache below and never needs it.
type YamlLib = typeof import("yaml");
let yamlLib: YamlLib | undefined;
const yaml = (): YamlLib => (yamlLib ??= createRequire(import.meta.url)("yaml") as YamlLib);

/** How far aliases may expand a document by default (the yaml package's guard against "billion laughs"). */
export const MAX_ALIAS_COUNT = 10_000;

export interface YamlReadOptions {
  /** How far aliases may expand one document; -1 for no limit (files we generate or pinned upstream files). */
  maxAliasCount?: number;
}

/** Every non-empty document of a YAML text as plain data; `file` names it in errors (`file:line:col: …`). */
export function parseYamlDocuments(text: string, file: string, options: YamlReadOptions = {}): unknown[] {
  const maxAliasCount = options.maxAliasCount ?? MAX_ALIAS_COUNT;
  const cached = parseCache?.get(text, maxAliasCount);
  if (cached) return cached;
  const { LineCounter, parseAllDocuments } = yaml();
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
  const out = list
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
  parseCache?.set(text, maxAliasCount, out);
  return out;
}

/** A value JSON cannot carry exactly (NaN, ±Infinity, -0, a Buffer or Date, a "__proto__" key): such a parse is not cached. */
const NOT_JSON = new Error("not JSON");
function exactJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (key, v: unknown) => {
      if (key === "__proto__") throw NOT_JSON;
      if (typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))) throw NOT_JSON;
      if (typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype) throw NOT_JSON;
      return v;
    });
  } catch (err) {
    if (err === NOT_JSON) return undefined;
    throw err;
  }
}

interface ParseCache {
  get(text: string, maxAliasCount: number): unknown[] | undefined;
  set(text: string, maxAliasCount: number, docs: unknown[]): void;
  used: Set<string>;
  dir: string;
}
let parseCache: ParseCache | undefined;

/**
 * Keeps what parseYamlDocuments returns for each text in dir, as JSON named by the SHA-256 of the
 * yaml package's version, the alias limit and the text, so that a command reading the same files
 * on every run (the cases and the package in `npm run check`) parses each one once. Only
 * successful parses that JSON carries exactly are kept; a bad file is parsed, and reported, every
 * time. Returns the function that turns the cache off again and removes the entries this run did
 * not use when there are more than `keep`.
 */
export function cacheYamlParses(dir: string, keep = 500): () => void {
  const version = (createRequire(import.meta.url)("yaml/package.json") as { version: string }).version;
  const keyOf = (text: string, maxAliasCount: number) => {
    return createHash("sha256").update(`yaml ${version}\0${maxAliasCount}\0`).update(text).digest("hex");
  };
  const cache: ParseCache = {
    dir,
    used: new Set(),
    get(text, maxAliasCount) {
      const key = keyOf(text, maxAliasCount);
      try {
        const docs = JSON.parse(readFileSync(join(dir, key + ".json"), "utf8")) as unknown;
        if (!Array.isArray(docs)) return undefined;
        cache.used.add(key);
        return docs;
      } catch {
        return undefined;
      }
    },
    set(text, maxAliasCount, docs) {
      const json = exactJson(docs);
      if (json === undefined) return;
      const key = keyOf(text, maxAliasCount);
      try {
        mkdirSync(dir, { recursive: true });
        writeFileAtomic(join(dir, key + ".json"), json);
        cache.used.add(key);
      } catch {
        /* a cache that cannot be written only costs time */
      }
    },
  };
  parseCache = cache;
  return () => {
    if (parseCache === cache) parseCache = undefined;
    try {
      const stale = readdirSync(dir).filter((f) => f.endsWith(".json") && !cache.used.has(f.slice(0, -".json".length)));
      if (stale.length + cache.used.size <= keep) return;
      const byAge = stale.map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs })).sort((a, b) => a.t - b.t);
      for (const { f } of byAge.slice(0, stale.length + cache.used.size - keep)) rmSync(join(dir, f), { force: true });
    } catch {
      /* no cache folder yet, or one being pruned by another run */
    }
  };
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
  const { stringify } = yaml();
  const body = docs.map((d) => stringify(d, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })).join("---\n");
  return (header ? header.replace(/^/gm, "# ") + "\n" : "") + body;
}
