/**
 * The one YAML reader (scripts/lib/yamlio.ts): every way a file can fail to be YAML is a
 * UserError (exit 1) naming file:line:col, also through the readers of the areas that use it.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { errorReport } from "../../scripts/lib/cli.js";
import { readYamlDocs } from "../../scripts/lib/cluster/kube.js";
import { UserError } from "../../scripts/lib/errors.js";
import { parseYamlFile } from "../../scripts/lib/xpkg/contents.js";
import { parseYamlDocuments, readYamlFile } from "../../scripts/lib/yamlio.js";

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
