/**
 * The Helm index line scanner against the YAML parser: on index.yaml files made by the real
 * `helm repo index` and on hand-written variants it returns exactly the versions a full parse
 * reads, or nothing (and the datasource parses the whole document).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { scanHelmIndex } from "../../scripts/lib/bump/datasources/helm-index-scan.js";
import { helmIndex } from "../../scripts/testkit/helm-repo.js";
import { helm, packageChart, removeTemps, tempDir } from "./helpers.js";

/** What a full parse reads: string versions, and entries without one. */
function parsed(text: string, chart: string) {
  const entries = (parse(text) as { entries: Record<string, { version?: unknown }[]> }).entries[chart]!;
  return {
    versions: entries.flatMap((e) => (typeof e.version === "string" ? [e.version] : [])),
    skipped: entries.filter((e) => typeof e.version !== "string").length,
  };
}

let realIndex: string;
beforeAll(async () => {
  const dir = tempDir("bump-scan-");
  await packageChart(`${dir}/charts`, "keda", ["2.18.0", "2.19.0", "2.19.1", "2.20.0-rc.1", "2.21.0+build.7"]);
  await packageChart(`${dir}/charts`, "keda-add-ons-http", ["0.12.2", "0.13.0"]);
  await helm(["repo", "index", `${dir}/charts`, "--url", "https://charts.example.org"]);
  realIndex = readFileSync(`${dir}/charts/index.yaml`, "utf8");
});
afterAll(() => removeTemps());

const REAL_SHAPE = `apiVersion: v1
entries:
  argo-cd:
  - annotations:
      artifacthub.io/changes: |
        - kind: changed
          description: version: 9.9.9 is not a key here
    apiVersion: v2
    appVersion: v3.1.0
    created: "2025-01-01T00:00:00.000000000Z"
    dependencies:
    - condition: redis-ha.enabled
      name: redis-ha
      repository: https://dandydeveloper.github.io/charts/
      version: 4.33.2
    description: A Helm chart for Argo CD,
      a declarative, GitOps continuous delivery tool for Kubernetes.
    keywords:
    - argoproj
    - version: 7.7.7
    maintainers:
    - name: argoproj
    name: argo-cd
    urls:
    - https://example.org/argo-cd-9.4.1.tgz
    version: 9.4.1
  - apiVersion: v2
    name: argo-cd
    version: "9.5.0"
  - apiVersion: v2
    name: argo-cd
    version: '9.5.1' # quoted
  - apiVersion: v2
    name: argo-cd
  argo-rollouts:
  - version: 2.0.0
generated: "2025-01-01T00:00:00Z"
`;

describe("scanHelmIndex", () => {
  it("reads what the YAML parser reads from an index made by helm repo index", () => {
    for (const chart of ["keda", "keda-add-ons-http"]) {
      const scanned = scanHelmIndex(realIndex, chart);
      expect(scanned, chart).toBeDefined();
      expect(scanned).toEqual(parsed(realIndex, chart));
    }
    expect(scanHelmIndex(realIndex, "keda")!.versions).toHaveLength(5);
  });

  it("skips nested lists, block scalars and continuation lines; counts entries without a version", () => {
    expect(scanHelmIndex(REAL_SHAPE, "argo-cd")).toEqual(parsed(REAL_SHAPE, "argo-cd"));
    expect(scanHelmIndex(REAL_SHAPE, "argo-cd")).toEqual({ versions: ["9.4.1", "9.5.0", "9.5.1"], skipped: 1 });
    expect(scanHelmIndex(REAL_SHAPE, "argo-rollouts")).toEqual({ versions: ["2.0.0"], skipped: 0 });
    expect(scanHelmIndex(REAL_SHAPE.replace(/\n/g, "\r\n"), "argo-cd")).toEqual(parsed(REAL_SHAPE, "argo-cd"));
  });

  it("reads the test server's indexes as the parser does", () => {
    const text = helmIndex("http://127.0.0.1:1/r", { a: ["1.0.0", "v2.0.0", "0.0.0-latest"], b: ["3.0.0"] });
    expect(scanHelmIndex(text, "a")).toEqual(parsed(text, "a"));
  });

  it("leaves everything else to the parser", () => {
    const cases: [string, string][] = [
      ["JSON", JSON.stringify(parse(REAL_SHAPE))],
      ["flow sequence", "apiVersion: v1\nentries:\n  a: [{version: 1.0.0}]\n"],
      ["a number", "entries:\n  a:\n  - version: 1.2\n"],
      ["a boolean-looking string", "entries:\n  a:\n  - version: yes\n"],
      ["an alias", "entries:\n  a:\n  - version: *v\n"],
      ["a tab", "entries:\n  a:\n  -\tversion: 1.0.0\n"],
      ["a line of only a form feed", "entries:\n\f\n  a:\n  - version: 1.0.0\n"],
      ["a no-break space as indentation", "entries:\n  a:\n\u00a0 - version: 1.0.0\n"],
      ["a lone carriage return", "entries:\n  a:\r  - version: 1.0.0\n"],
      ["a quoted chart key", 'entries:\n  "a":\n  - version: 1.0.0\n'],
      ["a duplicate version key", "entries:\n  a:\n  - version: 1.0.0\n    version: 2.0.0\n"],
      ["a value on the next line", "entries:\n  a:\n  - version:\n      1.0.0\n"],
      ["no such chart", "entries:\n  b:\n  - version: 1.0.0\n"],
      ["a second document", "entries:\n  a:\n  - version: 1.0.0\n---\nentries: {}\n"],
    ];
    for (const [what, text] of cases) expect(scanHelmIndex(text, "a"), what).toBeUndefined();
  });
});
