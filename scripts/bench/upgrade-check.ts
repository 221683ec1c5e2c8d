/**
 * Upgrade-check benchmark: the whole command `npm run upgrade-check` over every case of
 * tests/cases (two packages, three reconciles each) side by side with the whole `npm run check`
 * on the same cases, interleaved so that machine noise hits both alike; each cold (no KCL result
 * to reuse) and warm (run again). The old package is a copy of package/ whose every KCL step
 * source carries an extra comment: the same behaviour, but no KCL result of it can be reused from
 * the other package or from check's cache, as for a real older release. For the cold runs of
 * upgrade-check, .cache/render-kcl is set aside (renamed) and put back afterwards.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { median, ms, ratio } from "../lib/bench/stats.js";
import { CACHE_DIR, LAYOUT, PACKAGE_DIR, ROOT } from "../lib/paths.js";
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

/** Runs fn with .cache/render-kcl empty, then puts the user's cache back as it was. */
async function withEmptyCache<T>(fn: () => Promise<T>): Promise<T> {
  const dir = join(CACHE_DIR, "render-kcl");
  const aside = `${dir}.bench-${process.pid}`;
  const had = existsSync(dir);
  if (had) renameSync(dir, aside);
  try {
    return await fn();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (had) renameSync(aside, dir);
  }
}

export default async function bench(): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "bench-upgrade-check-"));
  try {
    const old = oldPackageCopy(dir);
    const run = join(ROOT, "scripts", "run.mjs");
    const check = (...extra: string[]) => execa(process.execPath, [run, "check", ...extra], { cwd: ROOT });
    let renders = 0;
    let cases = 0;
    let evaluated = 0;
    const upgrade = async () => {
      const r = await execa(process.execPath, [run, "upgrade-check", "--from", old, "--json"], { cwd: ROOT, reject: false });
      if (r.exitCode !== 0)
        throw new Error(`upgrade-check found differences between package/ and its copy (exit ${r.exitCode}): ${r.stderr || r.stdout.slice(0, 2000)}`);
      const report = JSON.parse(r.stdout) as { cases: { renders?: { old: number; new: number } }[] };
      cases = report.cases.length;
      renders = report.cases.reduce((n, c) => n + (c.renders ? c.renders.old + c.renders.new : 0), 0);
      return Number(/KCL step runs: (\d+) evaluated/.exec(r.stderr)?.[1] ?? NaN);
    };
    const time = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
      const t = performance.now();
      const v = await fn();
      return [performance.now() - t, v];
    };
    await check(); // primes the KCL cache check reads, as a user's earlier `npm run check` would
    await withEmptyCache(upgrade); // warms the OS file cache and the compiled scripts
    const checkCold: number[] = [];
    const checkWarm: number[] = [];
    const upgradeCold: number[] = [];
    const upgradeWarm: number[] = [];
    const upgradeAfterCheck: number[] = [];
    let warmEvaluated = 0;
    let afterCheckEvaluated = 0;
    for (let i = 0; i < 3; i++) {
      checkWarm.push((await time(() => check()))[0]);
      checkCold.push((await time(() => check("--no-cache")))[0]);
      await withEmptyCache(async () => {
        const [cold, n] = await time(upgrade);
        upgradeCold.push(cold);
        evaluated = n;
        const [warm, m] = await time(upgrade);
        upgradeWarm.push(warm);
        warmEvaluated = m;
      });
      // The first run after `npm run check` (as in CI, after npm test): the new package's first reconciles are check's renders.
      await withEmptyCache(async () => {
        await check();
        const [first, n] = await time(upgrade);
        upgradeAfterCheck.push(first);
        afterCheckEvaluated = n;
      });
    }
    const cc = median(checkCold);
    const cw = median(checkWarm);
    const uc = median(upgradeCold);
    const uw = median(upgradeWarm);
    const ua = median(upgradeAfterCheck);
    return [
      `upgrade-check: whole command over ${cases} cases, two packages, up to three reconciles each (${renders} renders); ` +
        `cold, .cache/render-kcl empty (${evaluated} KCL step runs evaluated and stored) ${ms(uc)} ` +
        `vs \`npm run check --no-cache\` ${ms(cc)} → ${ratio(uc, cc)} (target ≤ 3×); vs \`npm run check\` with its cache ${ms(cw)} → ${ratio(uc, cw)}`,
      `upgrade-check: first run after \`npm run check\` (${afterCheckEvaluated} KCL step runs evaluated, the rest check's) ` +
        `${ms(ua)} → ${ratio(ua, cc)} of \`npm run check --no-cache\``,
      `upgrade-check: run again (default: ${warmEvaluated} KCL step runs evaluated, all reused from .cache/render-kcl) ` +
        `${ms(uw)} vs \`npm run check\` with its cache ${ms(cw)} → ${ratio(uw, cw)} (target ≤ 3×)`,
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
