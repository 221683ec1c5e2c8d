/**
 * A result cache for the KCL runs of composition steps, kept on disk between commands (like
 * function-kcl's own render cache, which reuses the output of byte-identical inputs). A run is
 * looked up by a hash of everything it depends on: the engine's version, the sources, the
 * options and the working directory. Only programs whose imports are pure standard modules are
 * cached (no file, os, datetime, random, crypto, runtime or relative imports), so an entry
 * never goes stale; errors are never cached.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { writeFileAtomic } from "../fsutil.js";
import type { KclEngine, KclRunRequest } from "../kcl/engine.js";

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

/** Wraps an engine with the on-disk cache in dir (created on first write). */
export function cachingEngine(engine: KclEngine, dir: string): CachingEngine {
  const stats: CacheStats = { hits: 0, misses: 0, uncacheable: 0 };
  const version = engine.description.replace(/\s*\(.*\)\s*$/, "");
  const keyOf = (r: KclRunRequest) => createHash("sha256").update(JSON.stringify([version, r.sources, r.options ?? {}, r.workDir ?? ""])).digest("hex");

  async function run(request: KclRunRequest): Promise<unknown[]> {
    if (request.compileOnly || !isPureProgram(request)) {
      stats.uncacheable++;
      return engine.run(request);
    }
    const file = join(dir, keyOf(request) + ".json");
    try {
      const docs = JSON.parse(readFileSync(file, "utf8")) as unknown;
      if (Array.isArray(docs)) {
        stats.hits++;
        const now = new Date();
        utimesSync(file, now, now);
        return docs;
      }
    } catch {
      /* a miss, or an unreadable entry that the write below replaces */
    }
    stats.misses++;
    const docs = await engine.run(request);
    try {
      mkdirSync(dir, { recursive: true });
      writeFileAtomic(file, JSON.stringify(docs));
    } catch {
      /* the cache is an optimisation: a read-only or full disk only costs speed */
    }
    return docs;
  }

  function prune(keep = 1000): void {
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
      if (prop === "stats") return stats;
      if (prop === "prune") return prune;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  }) as CachingEngine;
}
