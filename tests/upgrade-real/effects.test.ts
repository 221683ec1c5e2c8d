/**
 * How the real upgrade (scripts/lib/e2e/upgrade.ts) reads Crossplane's effects from two snapshots
 * of the live composed resources, and upgrade-check's findings as the same effects: the two
 * sides it compares, so a wrong prediction shows as a mismatch.
 */
import { describe, expect, it } from "vitest";
import { compareEffects, observedEffects, predictedEffects, type LiveComposed } from "../../scripts/lib/e2e/upgrade.js";
import type { UpgradeFinding } from "../../scripts/lib/upgrade/types.js";

const live = (crn: string, uid: string, view: Record<string, unknown> = { spec: { a: 1 } }, name = crn): LiveComposed => ({
  uid,
  crn,
  ref: `Object/ns/${name}`,
  resourceVersion: "1",
  deleting: false,
  view,
});

describe("observed effects", () => {
  it("tells deleted, created, updated, unchanged and replaced apart by uid and by what the composition controls", () => {
    const before = [live("gone", "u1"), live("same", "u2"), live("edited", "u3"), live("swapped", "u4")];
    const after = [live("same", "u2"), live("edited", "u3", { spec: { a: 2 } }), live("swapped", "u9"), live("new", "u5")];
    const effects = observedEffects(before, after);
    expect(Object.fromEntries([...effects].map(([k, v]) => [k, v.effect]))).toEqual({
      edited: "updated",
      gone: "deleted",
      new: "created",
      same: "unchanged",
      swapped: "replaced",
    });
    expect(effects.get("edited")!.detail).toContain("spec.a");
  });

  it("counts a label change as an update (Crossplane applies labels as desired)", () => {
    const effects = observedEffects([live("x", "u1", { labels: { a: "1" } })], [live("x", "u1", { labels: {} })]);
    expect(effects.get("x")!.effect).toBe("updated");
  });
});

describe("predicted effects", () => {
  const f = (rule: string, crn: string): UpgradeFinding => ({ rule, severity: "notice", case: "c", crn, message: "" });
  it("maps upgrade-check's rules onto what Crossplane does", () => {
    const p = predictedEffects([
      f("deleted", "a"),
      f("orphaned", "b"),
      f("added", "c"),
      f("changed", "d"),
      f("chart-version", "e"),
      f("immutable-field", "e"),
      f("metadata-name", "g"),
      f("metadata-name", "h"),
      f("changed", "h"),
      f("kind-changed", "i"),
    ]);
    expect(Object.fromEntries(p)).toEqual({
      a: "deleted",
      b: "deleted",
      c: "created",
      d: "updated",
      e: "updated",
      g: "unchanged",
      h: "updated",
      i: "replaced",
    });
  });
});

describe("prediction against observation", () => {
  const observed = observedEffects(
    [live("a", "u1"), live("b", "u2"), live("c", "u3")],
    [live("b", "u2", { spec: { a: 2 } }), live("c", "u3"), live("d", "u4")],
  );
  it("agrees when upgrade-check named every effect", () => {
    const predicted = new Map<string, "deleted" | "created" | "updated">([
      ["a", "deleted"],
      ["b", "updated"],
      ["d", "created"],
    ]);
    const r = compareEffects(predicted, observed, false);
    expect(r.mismatches).toEqual([]);
    expect(r.verdicts.map((v) => `${v.crn} ${v.observed}`)).toEqual(["a deleted", "b updated", "c unchanged", "d created"]);
  });

  it("names each resource whose fate upgrade-check got wrong or did not mention", () => {
    const r = compareEffects(new Map([["a", "deleted"]]), observed, false);
    expect(r.mismatches).toEqual([
      "b: upgrade-check predicted unchanged, Crossplane updated (Object/ns/b updated: spec.a)",
      "d: upgrade-check predicted unchanged, Crossplane created (created Object/ns/d)",
    ]);
  });

  it("with no deletions allowed, a predicted deletion still fails", () => {
    const predicted = new Map<string, "deleted" | "created" | "updated">([
      ["a", "deleted"],
      ["b", "updated"],
      ["d", "created"],
    ]);
    expect(compareEffects(predicted, observed, true).mismatches).toEqual(["a: the upgrade deleted a live resource (deleted Object/ns/a)"]);
  });
});
