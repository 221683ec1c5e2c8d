// The CLI engine, exercised through a stand-in kcl CLI (tests/kcl-engine/standin-kcl-cli.py) built on
// the same native library: the real kcl CLI cannot be installed on this machine.
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEngine, KclError, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { ensureKcl } from "../../scripts/lib/tools.js";

const dir = mkdtempSync(join(tmpdir(), "kcl-cli-"));
let engine: KclEngine;
const saved = process.env.KCL_BIN;

beforeAll(async () => {
  const rt = await ensureKcl();
  if (rt.kind !== "pylib") throw new Error("test setup: expected the pinned KCL library");
  const bin = join(dir, "kcl");
  writeFileSync(bin, `#!/bin/sh\nSTANDIN_KCL_LIB='${rt.libDir}' exec ${rt.python} '${join(import.meta.dirname, "standin-kcl-cli.py")}' "$@"\n`);
  chmodSync(bin, 0o755);
  process.env.KCL_BIN = bin;
  engine = await createEngine();
});
afterAll(async () => {
  if (saved === undefined) delete process.env.KCL_BIN;
  else process.env.KCL_BIN = saved;
  await engine.close();
});

describe("KCL engine through a kcl CLI (stand-in)", () => {
  it("is chosen when KCL_BIN points to a kcl of a supported version", () => {
    expect(engine.description).toMatch(/^kcl CLI 0\.13\.2/);
  });

  it("runs source text with typed options", async () => {
    const docs = await engine.run({
      sources: [{ filename: "kcl/main.k", code: 'p = option("params")\nn = p.count * 2\ns = option("s")\n' }],
      options: { params: { count: 21 }, s: "007" },
    });
    expect(docs).toEqual([{ p: { count: 21 }, n: 42, s: "007" }]);
  });

  it("returns KCL's YAML for a selected list, one document per item", async () => {
    writeFileSync(join(dir, "items.k"), "items = [{a = 1}, {b = 2}]\n_hidden = 3\n");
    const out = await engine.runYaml({ files: ["items.k"], workDir: dir, selector: "items" });
    expect(out.documents).toEqual([{ a: 1 }, { b: 2 }]);
    expect(out.yaml).toMatch(/^a: 1\n---\nb: 2/);
  });

  it("reports errors under the caller's file name, not the temporary copy", async () => {
    const err = (await engine.run({ sources: [{ filename: "kcl/broken.k", code: "a = 1\nb = a +\n" }] }).catch((e: unknown) => e)) as KclError;
    expect(err).toBeInstanceOf(KclError);
    expect(err.message).toMatch(/^kcl\/broken\.k:2:\d+: InvalidSyntax: /);
  });
});
