/**
 * Build benchmark: the pipeline (`npm run build`'s work: KCL runs, YAML serialisation, README)
 * against the raw KCL evaluations it wraps, in the same process and run; then whole commands.
 */
import { join } from "node:path";
import { execa } from "execa";
import { generatePackage, PACKAGE_SOURCES } from "../lib/build.js";
import { APPS_SOURCE } from "../lib/catalogue.js";
import { measure, ms, ratio } from "../lib/bench/stats.js";
import { createEngine } from "../lib/kcl/index.js";
import { ROOT } from "../lib/paths.js";

export default async function bench(): Promise<string[]> {
  const engine = await createEngine();
  try {
    // Exactly the KCL calls generatePackage makes, without anything the pipeline adds.
    const raw = () =>
      Promise.all([
        ...PACKAGE_SOURCES.map((s) => engine.runYaml({ files: [s.source], workDir: ROOT, selector: "items" })),
        engine.run({ files: [APPS_SOURCE], workDir: ROOT, options: { catalogue: true } }),
      ]);
    const pipeline = () => generatePackage(engine);
    // Interleave the two so that machine noise hits both alike.
    const rawTimes: number[] = [];
    const pipeTimes: number[] = [];
    for (let i = 0; i < 5; i++) {
      rawTimes.push(await measure(raw, 5, 1));
      pipeTimes.push(await measure(pipeline, 5, 1));
    }
    const r = rawTimes.sort((a, b) => a - b)[2]!;
    const p = pipeTimes.sort((a, b) => a - b)[2]!;
    const run = join(ROOT, "scripts", "run.mjs");
    const node = await measure(() => execa(process.execPath, ["-e", "0"]), 5, 1);
    const cli = await measure(() => execa(process.execPath, [run, "build", "--check"]), 5, 1);
    const workerStart = await measure(
      async () => {
        const e = await createEngine();
        await e.run({ sources: [{ filename: "start.k", code: "a = 1\n" }] });
        await e.close();
      },
      5,
      1,
    );
    return [
      `build: pipeline ${ms(p)} vs the raw KCL calls it wraps ${ms(r)} → ${ratio(p, r)} (target ≤ 1.15×)`,
      `build: whole command \`npm run build -- --check\` (node scripts/run.mjs) ${ms(cli)}, of which Node start ${ms(node)} and KCL worker start ` +
        `${ms(workerStart)}`,
    ];
  } finally {
    await engine.close();
  }
}
