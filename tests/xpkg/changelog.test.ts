// Release notes: chart pins of kcl/apps.k changed since the previous release tag, read from a
// real git history.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { extractPins } from "../../scripts/lib/bump/kclfile.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { chartPinChanges, previousReleaseTag, releaseChangelog, renderChangelog } from "../../scripts/lib/xpkg/changelog.js";

const apps = readFileSync(join(ROOT, "kcl", "apps.k"), "utf8");
const pins = extractPins(apps).pins.filter((p) => p.kind === "chart" && p.charts.length > 0);
const pin = pins[0]!;
/** The real apps.k with one pin's value replaced. */
const withValue = (text: string, p: typeof pin, value: string) => text.slice(0, p.valueStart) + value + text.slice(p.valueEnd);

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe("chartPinChanges", () => {
  it("finds nothing between identical files", () => {
    expect(pins.length).toBeGreaterThan(3);
    expect(chartPinChanges(apps, apps)).toEqual([]);
  });

  it("reports a changed pin once per chart it pins, with both versions", () => {
    const changed = withValue(apps, pin, "99.0.0");
    const changes = chartPinChanges(apps, changed);
    expect(changes).toEqual(
      pin.charts.map((c) => ({ chart: c.chart, source: c.source, from: pin.value, to: "99.0.0" })).sort((a, b) => a.chart.localeCompare(b.chart)),
    );
  });

  it("lists every pin as new on the first release", () => {
    const changes = chartPinChanges(undefined, apps);
    expect(changes.length).toBeGreaterThanOrEqual(pins.reduce((n, p) => n + p.charts.length, 0));
    expect(changes.every((c) => c.from === undefined && c.to !== undefined)).toBe(true);
  });

  it("reports a removed chart", () => {
    const marker = apps.lastIndexOf("\n", apps.indexOf(`_${pin.variable} =`) - 1);
    const start = apps.lastIndexOf("\n# renovate", marker);
    const removed = apps.slice(0, start) + apps.slice(apps.indexOf("\n", apps.indexOf(`_${pin.variable} =`)));
    expect(
      chartPinChanges(apps, removed)
        .filter((c) => c.to === undefined)
        .map((c) => c.chart),
    ).toContain(pin.charts[pin.charts.length - 1]!.chart);
  });

  it("renders a Markdown table, or says that nothing changed", () => {
    const md = renderChangelog({ tag: "v0.2.0", previousTag: "v0.1.0", changes: chartPinChanges(apps, withValue(apps, pin, "99.0.0")) });
    expect(md).toContain("## Chart pins changed since v0.1.0");
    expect(md).toContain(`| ${pin.charts[0]!.chart} | ${pin.charts[0]!.source} | ${pin.value} | 99.0.0 |`);
    expect(renderChangelog({ tag: "v0.2.0", previousTag: "v0.1.0", changes: [] })).toContain("No chart pin changed since v0.1.0.");
  });
});

describe("releaseChangelog over a git history", () => {
  it("compares with the newest earlier release tag reachable from HEAD", async () => {
    const root = mkdtempSync(join(tmpdir(), "changelog-"));
    temps.push(root);
    const git = (...args: string[]) =>
      execa("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", "-c", "tag.gpgSign=false", "-c", "commit.gpgSign=false", ...args], { cwd: root });
    mkdirSync(join(root, "kcl"));
    await git("init", "-q", "-b", "main");
    const commit = async (text: string, message: string) => {
      writeFileSync(join(root, "kcl", "apps.k"), text);
      await git("add", "kcl/apps.k");
      await git("commit", "-q", "-m", message);
    };
    await commit(apps, "first");
    await git("tag", "v0.1.0");
    // a later tag on another branch is not part of HEAD's history
    await git("checkout", "-q", "-b", "side");
    await commit(withValue(apps, pin, "50.0.0"), "side");
    await git("tag", "v0.9.0");
    await git("checkout", "-q", "main");
    const v2 = withValue(apps, pin, "99.0.0");
    await commit(v2, "bump");
    await git("tag", "v0.2.0");

    expect(await previousReleaseTag(root, "0.2.0")).toBe("v0.1.0");
    const notes = await releaseChangelog(root, "v0.2.0", v2);
    expect(notes.previousTag).toBe("v0.1.0");
    expect(notes.changes.map((c) => [c.from, c.to])).toEqual(pin.charts.map(() => [pin.value, "99.0.0"]));

    // a manual release of an untagged commit compares with the newest tag below its version
    const v3 = withValue(v2, pin, "100.0.0");
    await commit(v3, "again");
    const next = await releaseChangelog(root, "v0.3.0", v3);
    expect(next.previousTag).toBe("v0.2.0");
    expect(next.changes.map((c) => [c.from, c.to])).toEqual(pin.charts.map(() => ["99.0.0", "100.0.0"]));

    // before any release tag: the first release
    expect(await previousReleaseTag(root, "0.0.1")).toBeUndefined();
    expect((await releaseChangelog(root, "v0.0.1", v3)).markdown).toContain("(first release)");
  });
});
