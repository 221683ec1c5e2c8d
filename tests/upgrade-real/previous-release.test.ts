/**
 * The stand-in older release (scripts/lib/e2e/previous-release.ts), rendered with the real KCL
 * engine: what it composes differs from the current package exactly by its stated edits, and
 * upgrade-check's prediction for it names those edits.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PREVIOUS_RELEASE_LABEL, previousRelease } from "../../scripts/lib/e2e/previous-release.js";
import { PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { loadPackage, readXrFile, renderXr, type KubeObject } from "../../scripts/lib/render/index.js";
import { localRenderer } from "../../scripts/lib/render/renderer.js";
import { comparePackages, loadImmutableData } from "../../scripts/lib/upgrade/index.js";
import { loadLiveStatus } from "../../scripts/lib/upgrade/reconcile.js";
import { useEngine } from "../helpers/engine.js";

const engine = useEngine({ workers: 2 });
const current = loadPackage(PACKAGE_DIR);
const previous = previousRelease(current);
const xr = (name: string) => readXrFile(join(ROOT, "tests", "cases", `${name}.yaml`)) as KubeObject;

describe("the derived previous release", () => {
  it("leaves the current package untouched and keeps every composition's name and selector labels", () => {
    expect(loadPackage(PACKAGE_DIR).compositions).toEqual(current.compositions);
    expect(previous.compositions.map((c) => [c.metadata?.name, c.metadata?.labels])).toEqual(
      current.compositions.map((c) => [c.metadata?.name, c.metadata?.labels]),
    );
  });

  for (const name of ["azure", "app-envoy-gateway"]) {
    it(`${name}: composes no apps, labels every other resource, renames the last Usage and adds the notes Object`, async () => {
      const now = await renderXr(engine, current, xr(name));
      const old = await renderXr(engine, previous, xr(name));
      const xrName = String(xr(name).metadata?.name);
      const oldNames = old.resources.map((r) => r.name);
      expect(oldNames).toContain(`${xrName}-previous-release-notes`);
      const labelled = old.resources.filter((r) => r.object.metadata?.labels?.[PREVIOUS_RELEASE_LABEL] === "true").map((r) => r.name);
      expect(labelled.length).toBeGreaterThanOrEqual(2);
      expect(labelled.length).toBeLessThan(old.resources.length - 2);
      const renamed = old.resources.filter((r) => String(r.object.metadata?.name).endsWith("-previous"));
      expect(renamed.map((r) => r.object.kind)).toEqual(["Usage"]);
      // Every resource of the older release other than the notes is one the current package composes too.
      const nowNames = new Set(now.resources.map((r) => r.name));
      expect(oldNames.filter((n) => !nowNames.has(n))).toEqual([`${xrName}-previous-release-notes`]);
      // The apps step composed the rest: upgrading creates it.
      expect(now.resources.length).toBeGreaterThan(old.resources.length + 5);
    });
  }

  it("upgrade-check predicts exactly the stated edits: the notes deleted, the apps added, the labels removed, the Usage's name kept", async () => {
    const { findings } = await comparePackages(localRenderer(engine), previous, current, [{ case: "azure", xr: xr("azure"), source: "azure" }], {
      immutable: loadImmutableData(),
      live: loadLiveStatus(),
    });
    const rules = (rule: string) => findings.filter((f) => f.rule === rule).map((f) => f.crn);
    expect(rules("deleted")).toEqual(["a-team-aks-previous-release-notes"]);
    expect(rules("metadata-name")).toEqual(["a-team-aks-cluster-kubernetes-usage"]);
    expect(rules("changed").sort()).toEqual(["a-team-aks-cluster", "a-team-aks-resource-group"]);
    const oldNames = new Set((await renderXr(engine, previous, xr("azure"))).resources.map((r) => r.name));
    const added = (await renderXr(engine, current, xr("azure"))).resources.map((r) => r.name).filter((n) => !oldNames.has(n));
    expect(rules("added").sort()).toEqual(added.sort());
    expect(added.length).toBeGreaterThan(5);
  });
});
