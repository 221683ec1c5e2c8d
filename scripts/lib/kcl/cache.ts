/**
 * A result cache for the KCL runs of composition steps, kept on disk between commands (like
 * function-kcl's own render cache, which reuses the output of byte-identical inputs). A run is
 * looked up by a hash of everything it depends on: the engine's version, the sources, the
 * options and the working directory. Two kinds of programs are cached, so that an entry never
 * goes stale: source text whose imports are pure standard modules (no file, os, datetime,
 * random, crypto, runtime or relative imports) — the composition steps — and, when the caller
 * names the folders a file program may read (`fileRoots`), programs run from files, keyed also
 * on the content of every file in those folders — the package sources under kcl/, which import
 * each other and embed the steps with file.read. Errors are never cached.
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
  hits: number;
  misses: number;
  uncacheable: number;
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

/** Wraps an engine with the on-disk cache in dir (created on first write; never written with readOnly). */
export function cachingEngine(engine: KclEngine, dir: string, options: CacheOptions = {}): CachingEngine {
  const stats: CacheStats = { hits: 0, misses: 0, uncacheable: 0 };
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
    return createHash("sha256")
      .update(JSON.stringify([version, kind, r.files ?? [], inputs, r.sources, r.options ?? {}, r.workDir ?? "", r.selector ?? "", r.compileOnly === true]))
      .digest("hex");
  };

  function cached<T>(kind: string, valid: (v: unknown) => v is T, evaluate: (r: KclRunRequest) => Promise<T>) {
    return async (request: KclRunRequest): Promise<T> => {
      const key = keyOf(request, kind);
      if (key === undefined) {
        stats.uncacheable++;
        return evaluate(request);
      }
      const file = join(dir, key + ".json");
      try {
        const value = JSON.parse(readFileSync(file, "utf8")) as unknown;
        if (valid(value)) {
          stats.hits++;
          if (!options.readOnly) {
            const now = new Date();
            utimesSync(file, now, now);
          }
          return value;
        }
      } catch {
        /* a miss, or an unreadable entry that the write below replaces */
      }
      stats.misses++;
      const value = await evaluate(request);
      if (options.readOnly) return value;
      try {
        mkdirSync(dir, { recursive: true });
        writeFileAtomic(file, JSON.stringify(value));
      } catch {
        /* the cache is an optimisation: a read-only or full disk only costs speed */
      }
      return value;
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
    if (options.readOnly) return;
    let entries: { file: string; mtime: number }[];
    try {
      entries = readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => ({ file: join(dir, f), mtime: statSync(join(dir, f)).mtimeMs }));
    } catch {
      return;
    }
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
