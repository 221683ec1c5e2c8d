/** The KCL step result cache `npm run check` uses: reuse only for identical, pure runs. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEngine, KclError, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { cachingEngine, isPureProgram } from "../../scripts/lib/render/kcl-cache.js";

let engine: KclEngine;
let dir: string;
beforeAll(async () => {
  engine = await createEngine();
});
afterAll(async () => engine?.close());
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const req = (code: string, options: Record<string, unknown> = {}) => ({ sources: [{ filename: "s.k", code }], options });

describe("cachingEngine", () => {
  it("evaluates a run once and reuses the result for the identical run, in any later process", async () => {
    dir = mkdtempSync(join(tmpdir(), "kcl-cache-"));
    const code = `_p = option("params")\nitems = [{n = _p.n * 2}]`;
    const first = cachingEngine(engine, dir);
    const a = await first.run(req(code, { params: { n: 21 } }));
    expect(first.stats).toEqual({ hits: 0, misses: 1, uncacheable: 0 });
    const second = cachingEngine(engine, dir);
    const b = await second.run(req(code, { params: { n: 21 } }));
    expect(b).toEqual(a);
    expect(b).toEqual([{ items: [{ n: 42 }] }]);
    expect(second.stats.hits).toBe(1);
    const c = await second.run(req(code, { params: { n: 1 } }));
    expect(c).toEqual([{ items: [{ n: 2 }] }]);
    expect(second.stats.misses).toBe(1);
  });

  it("never caches programs that read files, the clock or randomness, nor errors", async () => {
    dir = mkdtempSync(join(tmpdir(), "kcl-cache-"));
    expect(isPureProgram(req(`import file\na = file.read("x")`))).toBe(false);
    expect(isPureProgram(req(`import datetime\na = datetime.now()`))).toBe(false);
    expect(isPureProgram(req(`import crypto\na = crypto.uuid()`))).toBe(false);
    expect(isPureProgram(req(`import .helpers\na = 1`))).toBe(false);
    expect(isPureProgram(req(`import json\nimport manifests\na = 1`))).toBe(true);
    const cached = cachingEngine(engine, dir);
    await cached.run(req(`import datetime\na = datetime.now()`));
    expect(cached.stats.uncacheable).toBe(1);
    await expect(cached.run(req(`a = 1 + "x"`))).rejects.toBeInstanceOf(KclError);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("replaces an unreadable entry, and prunes the least recently used", async () => {
    dir = mkdtempSync(join(tmpdir(), "kcl-cache-"));
    const cached = cachingEngine(engine, dir);
    await cached.run(req(`a = 1`));
    const [entry] = readdirSync(dir);
    writeFileSync(join(dir, entry!), "{not json");
    expect(await cached.run(req(`a = 1`))).toEqual([{ a: 1 }]);
    expect(cached.stats.misses).toBe(2);
    for (let i = 2; i < 6; i++) await cached.run(req(`a = ${i}`));
    cached.prune(2);
    expect(readdirSync(dir).length).toBe(2);
  });
});
