/** The KCL step result cache `npm run check` uses: reuse only for identical, pure runs. */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createEngine, KclError, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { cachingEngine, isPureProgram } from "../../scripts/lib/kcl/cache.js";
import { copyRepo } from "../helpers/repo.js";

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
    expect(first.stats).toEqual({ hits: 0, misses: 1, uncacheable: 0, shared: 0 });
    const second = cachingEngine(engine, dir);
    const b = await second.run(req(code, { params: { n: 21 } }));
    expect(b).toEqual(a);
    expect(b).toEqual([{ items: [{ n: 42 }] }]);
    expect(second.stats.hits).toBe(1);
    const c = await second.run(req(code, { params: { n: 1 } }));
    expect(c).toEqual([{ items: [{ n: 2 }] }]);
    expect(second.stats.misses).toBe(1);
  });

  it("read-only: reuses stored results but stores nothing and touches no entry", async () => {
    dir = mkdtempSync(join(tmpdir(), "kcl-cache-"));
    const code = `_p = option("params")\nitems = [{n = _p.n + 1}]`;
    await cachingEngine(engine, dir).run(req(code, { params: { n: 1 } }));
    const stored = readdirSync(dir);
    const before = readFileSync(join(dir, stored[0]!), "utf8");
    const readOnly = cachingEngine(engine, dir, { readOnly: true });
    expect(await readOnly.run(req(code, { params: { n: 1 } }))).toEqual([{ items: [{ n: 2 }] }]);
    expect(await readOnly.run(req(code, { params: { n: 5 } }))).toEqual([{ items: [{ n: 6 }] }]);
    expect(readOnly.stats).toEqual({ hits: 1, misses: 1, uncacheable: 0, shared: 0 });
    readOnly.prune(0);
    expect(readdirSync(dir)).toEqual(stored);
    expect(readFileSync(join(dir, stored[0]!), "utf8")).toBe(before);
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
    const reread = cachingEngine(engine, dir);
    expect(await reread.run(req(`a = 1`))).toEqual([{ a: 1 }]);
    expect(reread.stats.misses).toBe(1);
    // An entry altered into other valid JSON is caught by its checksum, and rewritten.
    const other = cachingEngine(engine, dir);
    writeFileSync(join(dir, entry!), readFileSync(join(dir, entry!), "utf8").replace('"a":1', '"a":2'));
    expect(readFileSync(join(dir, entry!), "utf8")).toContain('"a":2');
    expect(await other.run(req(`a = 1`))).toEqual([{ a: 1 }]);
    expect(other.stats).toEqual({ hits: 0, misses: 1, uncacheable: 0, shared: 0 });
    expect(await cachingEngine(engine, dir).run(req(`a = 1`))).toEqual([{ a: 1 }]);
    for (let i = 2; i < 6; i++) await cached.run(req(`a = ${i}`));
    cached.prune(2);
    expect(readdirSync(dir).length).toBe(2);
  });
});

describe("identical runs within one engine", () => {
  it("are evaluated once, in flight or after, each caller getting its own copy, with or without a disk cache", async () => {
    dir = mkdtempSync(join(tmpdir(), "kcl-cache-"));
    let evaluated = 0;
    const counting: KclEngine = {
      run: (r) => {
        evaluated++;
        return engine.run(r);
      },
      runYaml: (r) => engine.runYaml(r),
      close: async () => {},
      description: engine.description,
    };
    for (const where of [undefined, join(dir, "cache")]) {
      evaluated = 0;
      const shared = cachingEngine(counting, where);
      const code = `_p = option("params")\nitems = [{n = _p.n}]`;
      const [a, b] = await Promise.all([shared.run(req(code, { params: { n: 7 } })), shared.run(req(code, { params: { n: 7 } }))]);
      const c = await shared.run(req(code, { params: { n: 7 } }));
      expect([a, b, c]).toEqual([[{ items: [{ n: 7 }] }], [{ items: [{ n: 7 }] }], [{ items: [{ n: 7 }] }]]);
      expect(a).not.toBe(b);
      expect(b).not.toBe(c);
      expect(evaluated).toBe(1);
      expect(shared.stats).toEqual({ hits: 0, misses: 1, uncacheable: 0, shared: 2 });
      // a pure program's result does not depend on where it runs
      await shared.run({ ...req(code, { params: { n: 7 } }), workDir: dir });
      expect(evaluated).toBe(1);
      await shared.run(req(code, { params: { n: 8 } }));
      expect(evaluated).toBe(2);
    }
    expect(readdirSync(join(dir, "cache")).length).toBe(2);
  });
});

describe("file programs (the package sources)", () => {
  it("are cached on the content of every file in their folder: any edit there is a miss", async () => {
    dir = mkdtempSync(join(tmpdir(), "kcl-cache-"));
    const src = join(dir, "src");
    mkdirSync(src);
    writeFileSync(join(src, "main.k"), 'import file\nitems = [{text = file.read("data.txt"), n = 1}]\n');
    writeFileSync(join(src, "data.txt"), "one");
    const request = { files: ["src/main.k"], workDir: dir, selector: "items" };
    const first = cachingEngine(engine, join(dir, "cache"), { fileRoots: [src] });
    expect((await first.runYaml(request)).documents).toEqual([{ text: "one", n: 1 }]);
    expect(first.stats).toEqual({ hits: 0, misses: 1, uncacheable: 0, shared: 0 });
    const second = cachingEngine(engine, join(dir, "cache"), { fileRoots: [src] });
    expect((await second.runYaml(request)).documents).toEqual([{ text: "one", n: 1 }]);
    expect(second.stats).toEqual({ hits: 1, misses: 0, uncacheable: 0, shared: 0 });
    // an edit of a file the program only reads (not the program itself) is seen
    writeFileSync(join(src, "data.txt"), "two");
    const third = cachingEngine(engine, join(dir, "cache"), { fileRoots: [src] });
    expect((await third.runYaml(request)).documents).toEqual([{ text: "two", n: 1 }]);
    expect(third.stats).toEqual({ hits: 0, misses: 1, uncacheable: 0, shared: 0 });
    // a file outside the named folders is never cached
    const outside = cachingEngine(engine, join(dir, "cache"), { fileRoots: [join(dir, "elsewhere")] });
    await outside.runYaml(request);
    expect(outside.stats).toEqual({ hits: 0, misses: 0, uncacheable: 1, shared: 0 });
  });

  it("npm run check on an unchanged tree starts no KCL process", async () => {
    const repo = copyRepo();
    try {
      const log = join(repo.root, "python-starts.log");
      const python = join(repo.root, "logging-python");
      writeFileSync(python, `#!/bin/sh\necho "$*" >> ${JSON.stringify(log)}\nexec python3 "$@"\n`);
      chmodSync(python, 0o755);
      const env = { PYTHON: python, KCL_BIN: "" };
      const first = await repo.run("check", [], env);
      expect(first.exitCode, String(first.all)).toBe(0);
      const workers = () =>
        existsSync(log)
          ? readFileSync(log, "utf8")
              .split("\n")
              .filter((l) => l.includes("worker.py")).length
          : 0;
      expect(workers()).toBeGreaterThan(0);
      const before = workers();
      const second = await repo.run("check", [], env);
      expect(second.exitCode, String(second.all)).toBe(0);
      expect(String(second.all)).toMatch(/KCL runs: 0 evaluated, \d+ reused/);
      expect(workers()).toBe(before);
    } finally {
      repo.remove();
    }
  });
});
