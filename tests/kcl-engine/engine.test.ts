import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/paths.js";
import { createEngine, KclError, parseKclError, type KclEngine } from "../../scripts/lib/kcl/index.js";

let engine: KclEngine;
const dir = mkdtempSync(join(tmpdir(), "kcl-engine-"));

beforeAll(async () => {
  engine = await createEngine({ workers: 2 });
});
afterAll(async () => {
  await engine.close();
});

describe("KCL engine (real KCL)", () => {
  it("runs a file with typed options", async () => {
    writeFileSync(join(dir, "main.k"), 'p = option("params")\nitems = [{name = p.name, replicas = p.count + 1, tag = option("tag")}]\n');
    const docs = await engine.run({ files: ["main.k"], workDir: dir, options: { params: { name: "web", count: 2 }, tag: "123" } });
    expect(docs).toEqual([{ p: { name: "web", count: 2 }, items: [{ name: "web", replicas: 3, tag: "123" }] }]);
  });

  it("keeps JSON-looking strings as strings", async () => {
    const [doc] = await engine.run({ sources: [{ filename: "s.k", code: 'a = option("v")\nb = typeof(a)\n' }], options: { v: "true" } });
    expect(doc).toEqual({ a: "true", b: "str" });
  });

  it("runs source text and returns every document of a stream", async () => {
    const docs = await engine.run({ sources: [{ filename: "stream.k", code: "import manifests\nmanifests.yaml_stream([{a = 1}, {b = 2}])\n" }] });
    expect(docs).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it("reports a syntax error with file, line and column", async () => {
    const err = await engine.run({ sources: [{ filename: "kcl/broken.k", code: "a = 1\nb = a +\n" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KclError);
    const k = err as KclError;
    expect([k.file, k.line, k.column]).toEqual(["kcl/broken.k", 2, 8]);
    expect(k.message).toMatch(/^kcl\/broken\.k:2:8: InvalidSyntax: expected one of/);
  });

  it("reports a runtime error with its location", async () => {
    const err = await engine.run({ sources: [{ filename: "kcl/run.k", code: "x = None\ny = x.name\n" }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KclError);
    expect((err as KclError).file).toBe("kcl/run.k");
    expect((err as KclError).line).toBe(2);
    expect((err as KclError).kclMessage).toMatch(/EvaluationError/);
  });

  it("shows file errors relative to the working directory", async () => {
    writeFileSync(join(dir, "bad.k"), 'a: int = "x"\n');
    const err = (await engine.run({ files: ["bad.k"], workDir: dir }).catch((e: unknown) => e)) as KclError;
    expect(err.message).toBe("bad.k:1:1: TypeError: expected int, got str(x)");
  });

  it("serves parallel requests", async () => {
    const runs = await Promise.all(Array.from({ length: 20 }, (_, i) => engine.run({ sources: [{ filename: `p${i}.k`, code: `v = ${i} * 2\n` }] })));
    expect(runs.map((r) => (r[0] as { v: number }).v)).toEqual(Array.from({ length: 20 }, (_, i) => i * 2));
  });
});

describe("KCL error text", () => {
  it("parses the framed format KCL uses for some runtime errors", () => {
    const text =
      "EvaluationError\n \u001b[1;38;5;12m-->\u001b[0m /w/kcl/t.k:2:1\n  |\n2 | items = [p.name]\n  |  invalid value 'NoneType' to load attribute 'name'\n  |\n";
    const e = parseKclError(text, (p) => p.replace("/w/", ""));
    expect(e.message).toBe("kcl/t.k:2:1: EvaluationError: invalid value 'NoneType' to load attribute 'name'");
  });
});

describe("KCL engine shutdown", () => {
  it("closing a worker that is still starting waits for it: the command exits 0, not 13 (unsettled await)", async () => {
    // A Python that takes longer to start than close() waits before it kills the worker, as on
    // a loaded machine.
    const slow = join(dir, "slow-python");
    writeFileSync(slow, '#!/bin/sh\nsleep 3\nexec python3 "$@"\n');
    chmodSync(slow, 0o755);
    const script = `import { createEngine } from ${JSON.stringify(join(ROOT, ".build", "scripts", "lib", "kcl", "index.js"))};
const engine = await createEngine({ workers: 2 });
await engine.close();
process.stdout.write("closed");`;
    const r = await execa(process.execPath, ["--input-type=module", "-e", script], { reject: false, env: { PYTHON: slow, KCL_BIN: "" } });
    expect({ exitCode: r.exitCode, stdout: r.stdout }).toEqual({ exitCode: 0, stdout: "closed" });
  });
});
