// The Chainsaw tests under tests/e2e/ are generated from the golden files; a stale copy fails.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { E2E_CASES, expectation, generateE2e, literalTree, staleE2eFiles } from "../../scripts/lib/e2e/generate.js";
import { writeFilesTogether } from "../../scripts/lib/fsutil.js";
import { checkE2e } from "../../scripts/lib/lint/index.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { copyRepo } from "../helpers/repo.js";

type Obj = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };
  spec?: unknown;
};
const docs = (text: string) =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);

let root: string;
beforeAll(() => {
  root = copyRepo({ only: ["package", "tests/cases", "tests/golden", "tests/e2e"], prefix: "e2e-" }).root;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("tests/e2e", () => {
  it("is what the golden files generate (npm run lint checks it)", () => {
    expect(checkE2e(ROOT, false)).toMatchObject({ ok: true });
  });

  it("expects exactly the golden file's composed resources, with their spec, for every selected case", () => {
    const files = generateE2e({ root });
    for (const { case: name } of E2E_CASES) {
      const golden = docs(readFileSync(join(root, "tests", "golden", `${name}.yaml`), "utf8")).slice(1);
      const expected = [...docs(files.get(`tests/e2e/${name}/composed.yaml`)!), ...docs(files.get(`tests/e2e/${name}/usages.yaml`) ?? "")];
      expect(expected).toHaveLength(golden.length);
      for (const g of golden) {
        const crn = g.metadata.annotations?.["crossplane.io/composition-resource-name"];
        const e = expected.find((x) => x.kind === g.kind && x.metadata.annotations?.["crossplane.io/composition-resource-name"] === crn);
        expect(e, `${name}: ${g.kind} ${crn}`).toBeDefined();
        expect(e!.apiVersion).toBe(g.apiVersion);
        expect(e!.metadata.name).toBe(g.metadata.name);
        expect(e!.metadata.namespace).toBe(g.metadata.namespace);
        expect(e!.metadata.labels).toEqual({ "crossplane.io/composite": g.metadata.labels?.["crossplane.io/composite"] });
        // strings Chainsaw would evaluate are escaped (see the next test); everything else is the golden spec
        expect(e!.spec).toEqual(literalTree(g.spec));
        expect(e).not.toHaveProperty("status");
      }
      const test = parse(files.get(`tests/e2e/${name}/chainsaw-test.yaml`)!) as { spec: { steps: { name: string }[] } };
      expect(test.spec.steps.map((s) => s.name)).toEqual(expect.arrayContaining(["package-installed", "xr-applies", "composed-resources"]));
      // the XR applied is the case file itself
      expect(docs(files.get(`tests/e2e/${name}/xr.yaml`)!)).toEqual(docs(readFileSync(join(root, "tests", "cases", `${name}.yaml`), "utf8")));
    }
  });

  it("escapes golden strings that Chainsaw would read as expressions, so they are compared literally", () => {
    const object = {
      apiVersion: "v1",
      kind: "X",
      metadata: { name: "x" },
      spec: { regex: "(.+)", jp: "(foo.bar)", bind: "a -> b", each: "~.items", plain: "(not closed", text: "a (b) c", multi: "line one\n(line two)" },
    };
    const e = expectation(object) as { spec: Record<string, string> };
    expect(e.spec).toEqual({
      regex: "\\(.+)\\",
      jp: "\\(foo.bar)\\",
      bind: "\\a -> b\\",
      each: "\\~.items\\",
      plain: "(not closed",
      text: "a (b) c",
      multi: "line one\n(line two)",
    });
  });

  it("checks the Envoy AI Gateway bundle where envoyGateway is enabled", () => {
    const files = generateE2e({ root });
    const withGateway = E2E_CASES.filter(({ case: name }) => {
      const xr = parse(readFileSync(join(root, "tests", "cases", `${name}.yaml`), "utf8")) as {
        spec?: { parameters?: { apps?: { envoyGateway?: { enabled?: boolean } } } };
      };
      return xr.spec?.parameters?.apps?.envoyGateway?.enabled === true;
    });
    expect(withGateway.length).toBeGreaterThanOrEqual(2);
    for (const { case: name } of withGateway) {
      const bundle = docs(files.get(`tests/e2e/${name}/ai-gateway.yaml`) ?? "");
      const charts = bundle.filter((d) => d.kind === "Release").map((d) => (d.spec as { forProvider: { chart: { name: string } } }).forProvider.chart.name);
      expect(charts.sort(), name).toEqual(["ai-gateway-crds-helm", "ai-gateway-helm", "gateway-helm"]);
      expect(bundle.filter((d) => d.kind === "Usage").length, name).toBeGreaterThanOrEqual(3);
      const test = parse(files.get(`tests/e2e/${name}/chainsaw-test.yaml`)!) as { spec: { steps: { name: string }[] } };
      expect(test.spec.steps.map((s) => s.name)).toContain("envoy-ai-gateway");
    }
  });

  it("fails when a golden file changed and the tests were not regenerated, and --fix regenerates them", () => {
    const files = generateE2e({ root });
    writeFilesTogether(new Map([...files].map(([p, c]) => [join(root, p), c])));
    expect(staleE2eFiles(root, files)).toEqual({ changed: [], extra: [] });

    const name = E2E_CASES[0]!.case;
    const goldenPath = join(root, "tests", "golden", `${name}.yaml`);
    const golden = readFileSync(goldenPath, "utf8");
    const changed = golden.replace(/region: ([a-z0-9-]+)/, "region: somewhere-else-1");
    expect(changed).not.toBe(golden);
    writeFileSync(goldenPath, changed);
    mkdirSync(join(root, "tests", "e2e", "gone"), { recursive: true });
    writeFileSync(join(root, "tests", "e2e", "gone", "chainsaw-test.yaml"), "leftover");

    const stale = checkE2e(root, false);
    expect(stale.ok).toBe(false);
    expect(stale.lines).toContain(`tests/e2e/${name}/composed.yaml: out of date with the golden files`);
    expect(stale.lines).toContain("tests/e2e/gone/chainsaw-test.yaml: not generated from any golden file");

    expect(checkE2e(root, true).ok).toBe(true);
    expect(checkE2e(root, false).ok).toBe(true);
    expect(readFileSync(join(root, "tests", "e2e", name, "composed.yaml"), "utf8")).toContain("somewhere-else-1");
  });

  it("names the command that writes a missing golden file", () => {
    rmSync(join(root, "tests", "golden", `${E2E_CASES[1]!.case}.yaml`));
    expect(checkE2e(root, false).lines.join("\n")).toMatch(/npm run check -- --update/);
  });
});
