/**
 * The one YAML reader (scripts/lib/yamlio.ts): every way a file can fail to be YAML is a
 * UserError (exit 1) naming file:line:col, also through the readers of the areas that use it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { errorReport } from "../../scripts/lib/cli.js";
import { readYamlDocs } from "../../scripts/lib/cluster/kube.js";
import { UserError } from "../../scripts/lib/errors.js";
import { parseYamlFile } from "../../scripts/lib/xpkg/contents.js";
import { cacheYamlParses, parseYamlDocuments, readYamlFile } from "../../scripts/lib/yamlio.js";

const dir = mkdtempSync(join(tmpdir(), "yamlio-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function failure(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    expect(errorReport(err)).toMatchObject({ exitCode: 1, internal: false });
    return err as UserError;
  }
  throw new Error("test setup: expected the call to fail");
}

describe("the YAML reader", () => {
  it("reads every non-empty document", () => {
    expect(parseYamlDocuments("a: 1\n---\n---\n- b\n", "x.yaml")).toEqual([{ a: 1 }, ["b"]]);
  });

  it("names file:line:col of a syntax error, a duplicate key and an unclosed flow", () => {
    expect(failure(() => parseYamlDocuments("a: 1\nb:\n  c: 1\n d: 2\n", "in.yaml")).message).toMatch(/^in\.yaml:4:1: not valid YAML: /);
    expect(failure(() => parseYamlDocuments("a: 1\n---\nb: 1\nb: 2\n", "in.yaml")).message).toBe("in.yaml:4:1: not valid YAML: Map keys must be unique");
    expect(failure(() => parseYamlDocuments("a: [x\n", "in.yaml")).message).toMatch(/^in\.yaml:2:1: not valid YAML: /);
  });

  it("refuses an alias bomb unless told the file is trusted", () => {
    const bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"];
    for (let i = 1; i < 5; i++)
      bomb.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    const text = bomb.join("\n") + "\n";
    expect(failure(() => parseYamlDocuments(text, "bomb.yaml")).message).toMatch(/^bomb\.yaml:1:1: not accepted: .*YAML bomb/);
    expect(parseYamlDocuments(text, "bomb.yaml", { maxAliasCount: -1 })).toHaveLength(1);
  });

  it("a file: its path as people see it, or the name given; a missing file is a UserError too", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "kind: A\nkind: B\n");
    expect(failure(() => readYamlFile(file, { display: "shown.yaml" })).message).toBe("shown.yaml:2:1: not valid YAML: Map keys must be unique");
    expect(failure(() => readYamlFile(join(dir, "absent.yaml"))).message).toMatch(/absent\.yaml: no such file or directory \(ENOENT, open\)/);
  });

  it("the package reader and the cluster's reader report the same way", () => {
    const file = join(dir, "objects.yaml");
    writeFileSync(file, "kind: A\nkind: B\n");
    expect(failure(() => parseYamlFile(file, "package/objects.yaml")).message).toBe("package/objects.yaml:2:1: not valid YAML: Map keys must be unique");
    expect(failure(() => readYamlDocs(file)).message).toMatch(/objects\.yaml:2:1: not valid YAML: Map keys must be unique$/);
    writeFileSync(file, "kind: A\n---\n- not an object\n");
    expect(failure(() => parseYamlFile(file, "package/objects.yaml")).message).toMatch(/^package\/objects\.yaml: document 2 is not a mapping/);
  });
});

describe("the parse cache (npm run check's .cache/yaml)", () => {
  it("gives what a parse gives, from the cache on the second read, and stores only what JSON carries exactly", () => {
    const cacheDir = join(dir, "cache");
    const text = "apiVersion: v1\nkind: A\nspec: {n: 1.5, list: [a, null, true], empty: {}}\n---\nkind: B\n";
    const fresh = parseYamlDocuments(text, "a.yaml");
    const stop = cacheYamlParses(cacheDir);
    try {
      expect(parseYamlDocuments(text, "a.yaml")).toEqual(fresh);
      const [entry] = readdirSync(cacheDir);
      expect(JSON.parse(readFileSync(join(cacheDir, entry!), "utf8"))).toEqual(fresh);
      // A planted entry is what the next read returns: the second read comes from the cache.
      writeFileSync(join(cacheDir, entry!), JSON.stringify([{ from: "cache" }]));
      expect(parseYamlDocuments(text, "a.yaml")).toEqual([{ from: "cache" }]);
      // Values JSON would change are parsed every time.
      expect(parseYamlDocuments("a: .inf\nb: -0\n", "b.yaml")).toEqual([{ a: Infinity, b: -0 }]);
      expect(readdirSync(cacheDir)).toHaveLength(1);
      // Bad YAML is reported every time, with its location.
      expect(failure(() => parseYamlDocuments("kind: A\nkind: B\n", "bad.yaml")).message).toBe("bad.yaml:2:1: not valid YAML: Map keys must be unique");
      expect(failure(() => parseYamlDocuments("kind: A\nkind: B\n", "bad.yaml")).message).toBe("bad.yaml:2:1: not valid YAML: Map keys must be unique");
    } finally {
      stop();
    }
    // Off again: the planted entry is no longer read.
    expect(parseYamlDocuments(text, "a.yaml")).toEqual(fresh);
  });
});
