/**
 * Faults of the environment and of input files are one-line errors naming the path and what to
 * do (exit 1), never "internal error" with a stack: permissions on package/, kcl/, tests/golden
 * and dist/, dist/ being a file, a version too long for a file name, a YAML bomb.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Result } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepo, type RepoCopy } from "../helpers/repo.js";
import { makeUnwritable, UNWRITABLE_CODE } from "../helpers/unprivileged.js";

let repo: RepoCopy;
beforeAll(async () => {
  repo = copyRepo();
  const compiled = await repo.run("tools", ["--compile-only"]);
  if (compiled.exitCode !== 0) throw new Error(`cannot compile scripts/ in the copy: ${String(compiled.all)}`);
});
afterAll(() => repo.remove());

/** One line on stderr starting with "error:", no stack, exit 1. */
function expectUserError(r: Result, ...mentions: RegExp[]): void {
  const out = String(r.all);
  expect(out, out).not.toMatch(/internal error|\n\s+at /);
  const errors = out.split("\n").filter((l) => l.startsWith("error: "));
  expect(errors, out).toHaveLength(1);
  for (const m of mentions) expect(errors[0], out).toMatch(m);
  expect(r.exitCode, out).toBe(1);
}

describe("environment errors", () => {
  const code = new RegExp(`\\(${UNWRITABLE_CODE}, `);

  it("a package/ the user cannot write", async () => {
    rmSync(join(repo.root, "package", "README.md"));
    const undo = makeUnwritable(join(repo.root, "package"));
    try {
      expectUserError(await repo.run("build"), /package\/README\.md/, code, /ls -ld/);
    } finally {
      undo();
    }
    expect((await repo.run("build")).exitCode).toBe(0);
  });

  it("a tests/golden the user cannot write", async () => {
    rmSync(join(repo.root, "tests", "golden", "aws.yaml"));
    const undo = makeUnwritable(join(repo.root, "tests", "golden"));
    try {
      expectUserError(await repo.run("check", ["--update"]), /tests\/golden\/aws\.yaml/, code);
    } finally {
      undo();
    }
    expect((await repo.run("check", ["--update"])).exitCode).toBe(0);
  });

  it("a dist/ the user cannot write is not blamed on the package", async () => {
    mkdirSync(join(repo.root, "dist"), { recursive: true });
    const undo = makeUnwritable(join(repo.root, "dist"));
    try {
      const r = await repo.run("package", ["--version", "1.0.0"]);
      expectUserError(r, /cannot write the package file to dist\//, code);
      expect(String(r.all)).not.toMatch(/Fix the package/);
    } finally {
      undo();
      rmSync(join(repo.root, "dist"), { recursive: true, force: true });
    }
  });

  it("dist existing as a file", async () => {
    writeFileSync(join(repo.root, "dist"), "not a folder\n");
    try {
      expectUserError(await repo.run("package", ["--version", "1.0.0"]), /dist exists and is not a directory/, /move or remove/);
    } finally {
      rmSync(join(repo.root, "dist"), { force: true });
    }
  });

  it("a version too long for a tag or a file name", async () => {
    expectUserError(await repo.run("package", ["--version", `1.0.0-${"a".repeat(244)}`]), /--version: the version is 251 characters long/, /at most 128/);
  });
});

describe("YAML bombs", () => {
  const bomb = ["apiVersion: devopstoolkit.ai/v2", "kind: Cluster", "metadata: {name: a}", "a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i < 6; i++)
    bomb.push(
      `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(", ")}]`,
    );
  bomb.push("spec: {parameters: {nodeSize: small}}");
  const text = bomb.join("\n") + "\n";

  it("render refuses one with the file's name", async () => {
    writeFileSync(join(repo.root, "bomb.yaml"), text);
    expectUserError(await repo.run("render", ["bomb.yaml"]), /bomb\.yaml:1:1: .*YAML bomb/);
  });

  it("verify reports one as that case's finding and checks the other cases", async () => {
    const cases = join(repo.root, "bomb-cases");
    mkdirSync(cases, { recursive: true });
    writeFileSync(join(cases, "bomb.yaml"), text);
    writeFileSync(join(cases, "aws.yaml"), repo.read("tests/cases/aws.yaml"));
    const r = await repo.run("verify", ["--cases", "bomb-cases", "--json"]);
    expect(r.exitCode, String(r.all)).toBe(1);
    const report = JSON.parse(String(r.stdout)) as { cases: string[]; findings: { rule: string; case?: string; message: string }[] };
    expect(report.cases).toEqual(["aws", "bomb"]);
    const renderFailures = report.findings.filter((f) => f.rule === "case-render");
    expect(renderFailures.map((f) => f.case)).toEqual(["bomb"]);
    expect(renderFailures[0]!.message).toMatch(/YAML bomb/);
  });
});
