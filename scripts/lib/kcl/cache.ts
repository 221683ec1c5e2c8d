/**
 * A result cache for the KCL runs of composition steps, kept on disk between commands (like
 * function-kcl's own render cache, which reuses the output of byte-identical inputs). A run is
 * looked up by a hash of everything it depends on: the engine's version, the sources, the
 * options and, for programs run from files, the working directory. Two kinds of programs are cached, so that an entry never
 * goes stale: source text whose imports are pure standard modules (no file, os, datetime,
 * random, crypto, runtime or relative imports) — the composition steps — and, when the caller
 * names the folders a file program may read (`fileRoots`), programs run from files, keyed also
 * on the content of every file in those folders — the package sources under kcl/, which import
 * each other and embed the steps with file.read. Errors are never cached.
 *
 * An entry is one file, <key>.json, written atomically: a first line with the sha256 of the rest,
 * then the result as JSON. An entry whose checksum does not match (a torn or altered file) is
 * ignored and rewritten. Within one engine, identical runs are also shared in memory: a run
 * asked for again while (or after) it is evaluated waits for the same evaluation, so the same
 * program with the same inputs is evaluated once per command even with no disk cache.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { isAbsolute, join, resolve, sep } from "node:path";
import { hashFolder, writeFileAtomic } from "../fsutil.js";
import type { KclEngine, KclRunRequest, KclYamlOutput } from "./engine.js";

const PURE_MODULES = new Set(["base64", "json", "yaml", "math", "regex", "units", "manifests", "template", "net", "collection"]);

/** True when the program's result depends only on its source and options. */
export function isPureProgram(request: KclRunRequest): boolean {
  if (request.files?.length) return false;
  for (const s of request.sources ?? []) {
    for (const m of s.code.matchAll(/^\s*import\s+([\w.]+)/gm)) if (!PURE_MODULES.has(m[1]!)) return false;
  }
  return true;
}

export interface CacheStats {
  /** Results read from the disk cache. */
  hits: number;
  /** Runs evaluated by the engine (cacheable ones). */
  misses: number;
  /** Runs evaluated by the engine whose result may depend on more than the key (never stored). */
  uncacheable: number;
  /** Runs answered by an identical run of the same engine (in flight or done), neither read nor evaluated. */
  shared: number;
}

export interface CachingEngine extends KclEngine {
  readonly stats: CacheStats;
  /** Deletes the least recently used entries beyond `keep`. */
  prune(keep?: number): void;
}

export interface CacheOptions {
  /**
   * Folders (absolute) that file programs read all their inputs from: a program run from files
   * that all lie under one of them is cached, keyed on the content of every file there.
   */
  fileRoots?: string[];
  /** Only read the cache: never store a result or touch an entry (for commands that write nothing). */
  readOnly?: boolean;
}

/** An entry's text: the sha256 of the JSON, a newline, the JSON. */
function entryText(json: string): string {
  return `${createHash("sha256").update(json).digest("hex")}\n${json}`;
}

/** The JSON of an entry's text, or undefined when the entry is torn, altered or of another format. */
function entryJson(text: string): string | undefined {
  const nl = text.indexOf("\n");
  if (nl !== 64) return undefined;
  const json = text.slice(nl + 1);
  return createHash("sha256").update(json).digest("hex") === text.slice(0, nl) ? json : undefined;
}

/**
 * Wraps an engine with the on-disk cache in dir (created on first write; never written with
 * readOnly). dir undefined: no disk cache, only identical runs shared within this engine.
 */
export function cachingEngine(engine: KclEngine, dir: string | undefined, options: CacheOptions = {}): CachingEngine {
  const stats: CacheStats = { hits: 0, misses: 0, uncacheable: 0, shared: 0 };
  /** Identical runs of this engine: the result's JSON text (each caller gets its own copy). */
  const runs = new Map<string, Promise<string>>();
  const version = engine.description.replace(/\s*\(.*\)\s*$/, "");
  const folders = new Map<string, string>();
  const folderOf = (file: string, workDir: string): string | undefined => {
    const abs = isAbsolute(file) ? file : resolve(workDir, file);
    return options.fileRoots?.find((r) => abs.startsWith(r.endsWith(sep) ? r : r + sep));
  };
  /** The cache key, or undefined when the program's result may depend on more than the key. */
  const keyOf = (r: KclRunRequest, kind: string): string | undefined => {
    let inputs: string[] = [];
    if (r.files?.length) {
      const roots = r.files.map((f) => folderOf(f, r.workDir ?? process.cwd()));
      if (roots.some((x) => x === undefined) || (r.sources ?? []).length) return undefined;
      inputs = [...new Set(roots as string[])].sort().map((root) => {
        let h = folders.get(root);
        if (h === undefined) folders.set(root, (h = hashFolder(root)));
        return `${root}#${h}`;
      });
    } else if (!isPureProgram(r)) return undefined;
    // A pure program reads nothing relative to its working directory, so where it runs is not part of its key.
    const workDir = r.files?.length ? (r.workDir ?? "") : "";
    return createHash("sha256")
      .update(JSON.stringify([version, kind, r.files ?? [], inputs, r.sources, r.options ?? {}, workDir, r.selector ?? "", r.compileOnly === true]))
      .digest("hex");
  };

  function cached<T>(kind: string, valid: (v: unknown) => v is T, evaluate: (r: KclRunRequest) => Promise<T>) {
    /** The stored result and its JSON text, or undefined (no entry, or one torn, altered or of another shape). */
    const stored = (key: string): { value: T; json: string } | undefined => {
      if (dir === undefined) return undefined;
      const file = join(dir, key + ".json");
      try {
        const text = readFileSync(file, "utf8");
        const json = entryJson(text);
        const value = json === undefined ? undefined : (JSON.parse(json) as unknown);
        if (!valid(value)) return undefined;
        if (!options.readOnly) {
          const now = new Date();
          utimesSync(file, now, now);
        }
        return { value, json: json! };
      } catch {
        return undefined; /* a miss, or an unreadable entry that the write below replaces */
      }
    };
    const store = (key: string, json: string) => {
      if (dir === undefined || options.readOnly) return;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileAtomic(join(dir, key + ".json"), entryText(json));
      } catch {
        /* the cache is an optimisation: a read-only or full disk only costs speed */
      }
    };
    const once = async (key: string, request: KclRunRequest): Promise<{ value: T; json: string }> => {
      const hit = stored(key);
      if (hit !== undefined) {
        stats.hits++;
        return hit;
      }
      stats.misses++;
      const value = await evaluate(request);
      const json = JSON.stringify(value);
      store(key, json);
      return { value, json };
    };
    return async (request: KclRunRequest): Promise<T> => {
      const key = keyOf(request, kind);
      if (key === undefined) {
        stats.uncacheable++;
        return evaluate(request);
      }
      const pending = runs.get(key);
      if (pending) {
        stats.shared++;
        return JSON.parse(await pending) as T;
      }
      const first = once(key, request);
      const json = first.then((r) => r.json);
      runs.set(key, json);
      // An error is not kept: a later identical run evaluates again.
      json.catch(() => runs.delete(key));
      // The first caller gets the value itself; every later one a copy parsed from the JSON.
      return (await first).value;
    };
  }
  const run = cached(
    "documents",
    (v): v is unknown[] => Array.isArray(v),
    (r) => engine.run(r),
  );
  const runYaml = cached(
    "yaml",
    (v): v is KclYamlOutput =>
      typeof v === "object" && v !== null && Array.isArray((v as KclYamlOutput).documents) && typeof (v as KclYamlOutput).yaml === "string",
    (r) => engine.runYaml(r),
  );

  function prune(keep = 1000): void {
    if (options.readOnly || dir === undefined) return;
    let entries: { file: string; mtime: number }[];
    try {
      entries = readdirSync(dir)
        .filter((f) => f.endsWith(".json") || f.endsWith(".tmp"))
        .map((f) => ({ file: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }));
    } catch {
      return;
    }
    // A temporary file an interrupted write left behind (an hour old: no write takes that long).
    const stale = Date.now() - 3600_000;
    for (const e of entries.filter((x) => x.file.endsWith(".tmp") && x.mtime < stale)) rmSync(e.file, { force: true });
    entries = entries.filter((x) => x.file.endsWith(".json"));
    if (entries.length <= keep) return;
    entries.sort((a, b) => b.mtime - a.mtime);
    for (const e of entries.slice(keep)) rmSync(e.file, { force: true });
  }

  return new Proxy(engine, {
    get(target, prop) {
      if (prop === "run") return run;
      if (prop === "runYaml") return runYaml;
      if (prop === "stats") return stats;
      if (prop === "prune") return prune;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as CachingEngine;
}
