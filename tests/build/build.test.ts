import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { diffAgainstDisk, generatePackage, PACKAGE_SOURCES } from "../../scripts/lib/build.js";
import { createEngine, type KclEngine } from "../../scripts/lib/kcl/index.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { copyRepo, type RepoCopy } from "../helpers/repo.js";

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir).map((f) => [
      f,
      createHash("sha256")
        .update(readFileSync(join(dir, f)))
        .digest("hex"),
    ]),
  );
}

let engine: KclEngine;
let repo: RepoCopy;
beforeAll(async () => {
  engine = await createEngine();
  repo = copyRepo();
});
afterAll(async () => {
  await engine.close();
  repo.remove();
});

describe("npm run build", () => {
  it("produces byte-identical output on every run, equal to the committed package", async () => {
    const first = await generatePackage(engine);
    const second = await generatePackage(engine);
    expect([...first.keys()].sort()).toEqual(["package/README.md", "package/compositions.yaml", "package/crossplane.yaml", "package/definition.yaml"]);
    expect(second).toEqual(first);
    expect(diffAgainstDisk(first, ROOT)).toEqual([]);
  });

  it("writes YAML that Kubernetes (YAML 1.1) reads back as exactly the objects KCL evaluated", async () => {
    const files = await generatePackage(engine);
    for (const { out, source } of PACKAGE_SOURCES) {
      const [whole] = (await engine.run({ files: [source] })) as [{ items: unknown[] }];
      const docs = parseAllDocuments(files.get(out)!, { version: "1.1" });
      expect(docs.flatMap((d) => d.errors)).toEqual([]);
      expect(docs.map((d) => d.toJS())).toEqual(whole.items);
    }
  });

  it("--check passes on a clean tree", async () => {
    const r = await repo.run("build", ["--check"]);
    expect(r.all).toContain("package/ matches kcl/");
    expect(r.exitCode).toBe(0);
  });

  it("--check fails with a unified diff after a source change and writes nothing", async () => {
    const defBefore = snapshot(join(repo.root, "package"));
    const original = repo.read("kcl/definition.k");
    repo.replace("kcl/definition.k", '"devopstoolkit.ai"', '"example.org"');
    try {
      const r = await repo.run("build", ["--check"]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(/^--- a\/package\/definition\.yaml/m);
      expect(r.stdout).toMatch(/^-.*devopstoolkit\.ai/m);
      expect(r.stdout).toMatch(/^\+.*example\.org/m);
      expect(r.stderr).toMatch(/package\/ is out of date with kcl\/ \(package\/definition\.yaml\)/);
      expect(snapshot(join(repo.root, "package"))).toEqual(defBefore);
    } finally {
      repo.write("kcl/definition.k", original);
    }
  });

  it("a KCL error in any source leaves every package file untouched", async () => {
    const before = snapshot(join(repo.root, "package"));
    const original = repo.read("kcl/apps.k");
    repo.write("kcl/apps.k", original + "\n_broken = [\n");
    try {
      const r = await repo.run("build");
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/^error: kcl\/(apps|compositions)\.k:\d+:\d+: /m);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
      expect(snapshot(join(repo.root, "package"))).toEqual(before);
    } finally {
      repo.write("kcl/apps.k", original);
    }
  });

  it("compiles every embedded step source and fails at its own file and line (kcl/aws.k), writing nothing", async () => {
    const original = repo.read("kcl/aws.k");
    const lines = original.split("\n");
    const at = lines.findIndex((l) => l.includes('policy = "AmazonEKS_CNI_Policy"'));
    expect(at).toBeGreaterThan(0);
    const before = snapshot(join(repo.root, "package"));
    const probes = [
      { text: "policy = undefinedPolicy", token: "undefinedPolicy", error: /CompileError: name 'undefinedPolicy' is not defined/ },
      { text: 'policy = "x" +', token: "}", error: /InvalidSyntax/ },
    ];
    try {
      for (const probe of probes) {
        const line = lines[at]!.replace('policy = "AmazonEKS_CNI_Policy"', probe.text);
        repo.write("kcl/aws.k", [...lines.slice(0, at), line, ...lines.slice(at + 1)].join("\n"));
        const r = await repo.run("build");
        expect(r.exitCode, String(r.all)).toBe(1);
        const column = line.indexOf(probe.token) + 1;
        expect(r.stderr).toMatch(new RegExp(`^error: kcl/aws\\.k:${at + 1}:${column}: `, "m"));
        expect(r.stderr).toMatch(probe.error);
        expect(snapshot(join(repo.root, "package"))).toEqual(before);
      }
    } finally {
      repo.write("kcl/aws.k", original);
    }
  });

  it("a step that compiles but fails at render is reported at kcl/<file>.k too", async () => {
    const original = repo.read("kcl/aws.k");
    const lines = original.split("\n");
    const at = lines.findIndex((l) => l.startsWith("_iamResources = "));
    expect(at).toBeGreaterThan(0);
    const broken = [...lines.slice(0, at), "_boom = [1, 2][7]", ...lines.slice(at)].join("\n");
    repo.write("kcl/aws.k", broken);
    try {
      expect((await repo.run("build")).exitCode).toBe(0);
      const r = await repo.run("render", ["tests/cases/aws.yaml"]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^error: tests/cases/aws\\.yaml: .*package/compositions\\.yaml:\\d+:\\d+ \\(line ${at + 1} of the step's KCL source, kcl/aws\\.k:${at + 1}:\\d+\\): `,
          "m",
        ),
      );
    } finally {
      repo.write("kcl/aws.k", original);
      expect((await repo.run("build")).exitCode).toBe(0);
    }
  });

  it("regenerates a changed package and is idempotent", async () => {
    const original = repo.read("package/definition.yaml");
    repo.write("package/definition.yaml", "stale\n");
    const r = await repo.run("build");
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/wrote package\/definition\.yaml/);
    expect(repo.read("package/definition.yaml")).toBe(original);
    const again = await repo.run("build");
    expect(again.stderr).toMatch(/package\/ is up to date/);
  });

  it("rejects an unexpected flag with usage and exit code 2", async () => {
    const r = await repo.run("build", ["--frobnicate"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Unknown option '--frobnicate'/);
    expect(r.stderr).toMatch(/usage: npm run build/);
  });
});
