/**
 * Faults of the environment and of input files are one-line errors naming the path and what to
 * do (exit 1), never "internal error" with a stack: permissions on package/, kcl/, tests/golden
 * and dist/, dist/ being a file, a version too long for a file name, a YAML bomb, a file that is
 * not valid YAML (named at file:line:col by every entry that reads one).
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

describe("a file that is not valid YAML is named at file:line:col, exit 1, by every entry that reads one", () => {
  // A duplicate key on line 3, column 1.
  const bad = "apiVersion: devopstoolkit.ai/v2\nkind: Cluster\nkind: Cluster\n";
  const at = (file: string) => new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:1: not valid YAML: Map keys must be unique`);

  /** Replaces a file of the copy with bad YAML for the duration of fn. */
  async function withBad(path: string, fn: () => Promise<void>): Promise<void> {
    const before = repo.read(path);
    repo.write(path, bad);
    try {
      await fn();
    } finally {
      repo.write(path, before);
    }
  }

  it("render: the XR file", async () => {
    writeFileSync(join(repo.root, "bad.yaml"), bad);
    expectUserError(await repo.run("render", ["bad.yaml"]), at("bad.yaml"));
  });

  it("check: a case", async () => {
    await withBad("tests/cases/aws.yaml", async () => {
      const r = await repo.run("check");
      expect(r.exitCode, String(r.all)).toBe(1);
      expect(String(r.all)).toMatch(at("tests/cases/aws.yaml"));
      expect(String(r.all)).not.toMatch(/internal error|\n\s+at /);
    });
  });

  it("verify: a case", async () => {
    await withBad("tests/cases/aws.yaml", async () => {
      const r = await repo.run("verify", ["--json"]);
      expect(r.exitCode, String(r.all)).toBe(1);
      const report = JSON.parse(String(r.stdout)) as { findings: { rule: string; case?: string; message: string }[] };
      const failures = report.findings.filter((f) => f.rule === "case-render");
      expect(failures.map((f) => f.case)).toEqual(["aws"]);
      expect(failures[0]!.message).toMatch(at("tests/cases/aws.yaml"));
    });
  });

  it("validate: an example", async () => {
    await withBad("examples/aws.yaml", async () => {
      expectUserError(await repo.run("validate"), at("examples/aws.yaml"));
    });
  });

  it("package: a package file", async () => {
    await withBad("package/definition.yaml", async () => {
      expectUserError(await repo.run("package", ["--version", "1.0.0"]), /^error: cannot read the package: /, at("package/definition.yaml"));
    });
  });

  it("lint: a golden file the end-to-end tests are generated from", async () => {
    await withBad("tests/golden/aws.yaml", async () => {
      const r = await repo.run("lint", ["--e2e"]);
      expect(r.exitCode, String(r.all)).toBe(1);
      expect(String(r.all)).toMatch(at("tests/golden/aws.yaml"));
      expect(String(r.all)).not.toMatch(/internal error|\n\s+at /);
    });
  });

  it("upgrade-check: the exported XRs", async () => {
    writeFileSync(join(repo.root, "bad-xrs.yaml"), bad);
    expectUserError(await repo.run("upgrade-check", ["--from", "package", "--xrs", "bad-xrs.yaml"]), at("bad-xrs.yaml"));
  });
});
