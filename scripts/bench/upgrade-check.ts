/**
 * Upgrade-check benchmark: the whole command `npm run upgrade-check` over every case of
 * tests/cases (two packages, three reconciles each) side by side with the whole `npm run check`
 * on the same cases, interleaved so that machine noise hits both alike. The old package is a
 * copy of package/ whose every KCL step source carries an extra comment: the same behaviour, but
 * no KCL result of it can be reused from the other package or from check's cache, as for a real
 * older release.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { median, ms, ratio } from "../lib/bench/stats.js";
import { PACKAGE_DIR, ROOT, LAYOUT } from "../lib/paths.js";
import { readYamlFile, toYamlStream } from "../lib/yamlio.js";

/** package/ with a comment appended to every inline KCL source. */
function oldPackageCopy(dir: string): string {
  const out = join(dir, LAYOUT.package);
  mkdirSync(out, { recursive: true });
  for (const file of readdirSync(PACKAGE_DIR).filter((f) => /\.ya?ml$/.test(f))) {
    const docs = readYamlFile(join(PACKAGE_DIR, file)) as Record<string, unknown>[];
    for (const doc of docs) {
      const pipeline = (doc?.spec as { pipeline?: { input?: { spec?: { source?: unknown } } }[] } | undefined)?.pipeline;
      for (const step of doc?.kind === "Composition" && Array.isArray(pipeline) ? pipeline : []) {
        if (typeof step.input?.spec?.source === "string") step.input.spec.source += "\n# the previous release\n";
      }
    }
    writeFileSync(join(out, file), toYamlStream(docs));
  }
  return out;
}

export default async function bench(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "bench-upgrade-check-"));
  try {
    const old = oldPackageCopy(dir);
    const run = join(ROOT, "scripts", "run.mjs");
    const check = () => execa(process.execPath, [run, "check"], { cwd: ROOT });
    let renders = 0;
    let cases = 0;
    const upgrade = async (...extra: string[]) => {
      const r = await execa(process.execPath, [run, "upgrade-check", "--from", old, "--json", ...extra], { cwd: ROOT, reject: false });
      if (r.exitCode !== 0)
        throw new Error(`upgrade-check found differences between package/ and its copy (exit ${r.exitCode}): ${r.stderr || r.stdout.slice(0, 2000)}`);
      const report = JSON.parse(r.stdout) as { cases: { renders?: { old: number; new: number } }[] };
      cases = report.cases.length;
      renders = report.cases.reduce((n, c) => n + (c.renders ? c.renders.old + c.renders.new : 0), 0);
    };
    await check(); // primes the KCL cache check reads, as a user's earlier `npm run check` would
    await upgrade();
    await upgrade("--write-cache"); // primes the cache for the --write-cache runs
    const checkTimes: number[] = [];
    const upgradeTimes: number[] = [];
    const warmTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      let t = performance.now();
      await check();
      checkTimes.push(performance.now() - t);
      t = performance.now();
      await upgrade("--no-cache");
      upgradeTimes.push(performance.now() - t);
      t = performance.now();
      await upgrade("--write-cache");
      warmTimes.push(performance.now() - t);
    }
    const c = median(checkTimes);
    const u = median(upgradeTimes);
    const w = median(warmTimes);
    return [
      `upgrade-check: whole command over ${cases} cases, two packages, up to three reconciles each (${renders} renders), every KCL step evaluated ` +
        `(--no-cache; the default only reads check's cache, a few % less) ${ms(u)} vs \`npm run check\` on the same cases (with its cache) ${ms(c)} → ` +
        `${ratio(u, c)} (target ≤ 3×)`,
      `upgrade-check: with --write-cache, its own KCL step results reused from an earlier run ${ms(w)} → ${ratio(w, c)} of \`npm run check\``,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
