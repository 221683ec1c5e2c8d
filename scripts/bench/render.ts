/**
 * Render benchmark: every case of tests/cases rendered by our engine and by the real
 * `crossplane render` (crank with the Development runtime, real function-auto-ready, the
 * stand-in for function-kcl), in the same run; the floor is the bare KCL evaluations our
 * render performs (the same programs with the same params, replayed on the engine).
 * Then the whole `npm run check` command.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { measure, ms, ratio } from "../lib/bench/stats.js";
import type { KclEngine, KclRunRequest } from "../lib/kcl/engine.js";
import { createEngine } from "../lib/kcl/index.js";
import { PACKAGE_DIR, ROOT, CASES_DIR } from "../lib/paths.js";
import { caseInputs, renderCasesWith } from "../lib/cases.js";
import { loadPackage, localRenderer, type Renderer } from "../lib/render/index.js";
import { createCrossplaneRenderer } from "../lib/render/crossplane/renderer.js";
import { cachingEngine } from "../lib/kcl/cache.js";

const CASES = CASES_DIR;

/** The engine, recording every request it runs. */
function recording(engine: KclEngine): { engine: KclEngine; requests: KclRunRequest[] } {
  const requests: KclRunRequest[] = [];
  const run = (request: KclRunRequest) => {
    requests.push(request);
    return engine.run(request);
  };
  const proxy = new Proxy(engine, {
    get(target, prop) {
      if (prop === "run") return run;
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { requests, engine: proxy };
}

async function renderAll(renderer: Renderer, pkg: ReturnType<typeof loadPackage>): Promise<void> {
  const cases = await renderCasesWith(renderer, pkg, CASES);
  const failed = cases.filter((c) => c.error);
  if (failed.length) throw new Error(`${renderer.name}: ${failed.length} cases failed: ${failed[0]!.error}`);
}

export default async function bench(): Promise<string[]> {
  const pkg = loadPackage(PACKAGE_DIR);
  const count = caseInputs(CASES).length;
  const engine = await createEngine({ workers: 2 });
  let crossplane: Renderer | undefined;
  try {
    const local = localRenderer(engine);
    // The KCL evaluations of one render of every case, grouped per XR (steps of a case run in order).
    const rec = recording(engine);
    await renderAll(localRenderer(rec.engine), pkg);
    const perCase = new Map<string, KclRunRequest[]>();
    for (const r of rec.requests) {
      const xr = (r.options?.params as { oxr?: { metadata?: { name?: string } } } | undefined)?.oxr?.metadata?.name ?? "";
      perCase.set(xr, [...(perCase.get(xr) ?? []), r]);
    }
    const floor = () =>
      Promise.all(
        [...perCase.values()].map(async (reqs) => {
          for (const r of reqs) await engine.run(r);
        }),
      );

    // The result cache `npm run check` uses, in a directory of its own (primed by the first run).
    const cacheDir = mkdtempSync(join(tmpdir(), "bench-render-cache-"));
    const cached = localRenderer(cachingEngine(engine, cacheDir));
    crossplane = await createCrossplaneRenderer(engine);
    const cp = crossplane;
    const oursTimes: number[] = [];
    const warmTimes: number[] = [];
    const floorTimes: number[] = [];
    const realTimes: number[] = [];
    try {
      // Interleaved so that machine noise hits all alike.
      for (let i = 0; i < 3; i++) {
        oursTimes.push(await measure(() => renderAll(local, pkg), 3, i === 0 ? 2 : 0));
        warmTimes.push(await measure(() => renderAll(cached, pkg), 3, i === 0 ? 1 : 0));
        floorTimes.push(await measure(floor, 3, i === 0 ? 2 : 0));
        realTimes.push(await measure(() => renderAll(cp, pkg), 1, i === 0 ? 1 : 0));
      }
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
    const ours = med(oursTimes);
    const warm = med(warmTimes);
    const real = med(realTimes);
    const bare = med(floorTimes);

    const run = join(ROOT, "scripts", "run.mjs");
    const node = await measure(() => execa(process.execPath, ["-e", "0"]), 5, 1);
    const check = await measure(() => execa(process.execPath, [run, "check"]), 5, 1);
    return [
      `render: ${count} cases, all at once: ours ${ms(ours)} (${ms(ours / count)} per case), real crossplane render ${ms(real)} (${ms(real / count)} per ` +
        `case) → ours ${ratio(real, ours)} faster`,
      `render: ours with the result cache of unchanged KCL steps (what \`npm run check\` uses) ${ms(warm)} → ${ratio(real, warm)} faster than the real ` +
        `crossplane render (target ≥ 5×)`,
      `render: ours ${ms(ours)} vs the bare KCL evaluations inside it ${ms(bare)} (${rec.requests.length} runs) → ${ratio(ours, bare)} of the floor; both ` +
        `engines share that floor here, as crank's function-kcl steps run on the stand-in over the same KCL engine`,
      `check: whole command \`npm run check\` on an unchanged tree (node scripts/run.mjs check: package and ${count} cases from the KCL result cache, no ` +
        `KCL process, compare) ${ms(check)} (target ≤ 350 ms) = ${ratio(check, node)} a bare Node start (${ms(node)})`,
    ];
  } finally {
    await crossplane?.close();
    await engine.close();
  }
}
