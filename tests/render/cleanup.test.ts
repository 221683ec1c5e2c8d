/**
 * `--engine crossplane` leaves nothing behind: the function-auto-ready server and the temp
 * files go on close(), on a failed render, and when the process is interrupted (Ctrl-C);
 * after SIGKILL the server still goes, and the next run removes the temp files and renders.
 */
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { withEngine } from "../../scripts/lib/kcl/index.js";
import { ROOT } from "../../scripts/lib/paths.js";
import { createCrossplaneRenderer } from "../../scripts/lib/render/crossplane/renderer.js";
import { loadPackage, type KubeObject } from "../../scripts/lib/render/index.js";
import { isProcessAlive } from "../../scripts/lib/process.js";
import { WIDGETS } from "./helpers.js";
import { descendants, waitForDescendants, waitGone } from "../helpers/processes.js";

const alive = (pid: number | undefined): boolean => !!pid && isProcessAlive(pid);

async function gone(pid: number | undefined): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return !alive(pid);
}

function listening(target: string): Promise<boolean> {
  const [host, port] = target.split(":");
  return new Promise((resolve) => {
    const s = connect({ host, port: Number(port) });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

/** A Node process that creates a crossplane renderer, prints what it started and waits. */
function rendererProcess() {
  const renderer = pathToFileURL(join(ROOT, ".build", "scripts", "lib", "render", "crossplane", "renderer.js")).href;
  const kcl = pathToFileURL(join(ROOT, ".build", "scripts", "lib", "kcl", "index.js")).href;
  const script = `
    const { createEngine } = await import(${JSON.stringify(kcl)});
    const { createCrossplaneRenderer } = await import(${JSON.stringify(renderer)});
    const engine = await createEngine();
    const r = await createCrossplaneRenderer(engine);
    process.stdout.write(JSON.stringify({ pid: r.functionPid, tmp: r.tmpDir, target: r.targets.functionAutoReady }) + "\\n");
    setInterval(() => {}, 1000);
  `;
  const child = execa(process.execPath, ["--input-type=module", "-e", script], { cwd: ROOT, reject: false });
  const info = new Promise<{ pid: number; tmp: string; target: string }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(JSON.parse(out.split("\n")[0]!) as { pid: number; tmp: string; target: string });
    });
    child.once("exit", () => reject(new Error(`child exited early: ${out}`)));
  });
  return { child, info };
}

describe("the crossplane engine's servers", () => {
  it("stop on close(), also after a failed render", async () => {
    await withEngine(async (engine) => {
      const r = await createCrossplaneRenderer(engine);
      expect(alive(r.functionPid)).toBe(true);
      expect(existsSync(r.tmpDir)).toBe(true);
      const pkg = loadPackage(join(WIDGETS, "package"));
      await expect(
        r.render(pkg, {
          apiVersion: "example.org/v1alpha1",
          kind: "Widget",
          metadata: { name: "w" },
          spec: { crossplane: { compositionRef: { name: "nope" } } },
        } as KubeObject),
      ).rejects.toThrow(/nope/);
      await r.close();
      expect(await gone(r.functionPid)).toBe(true);
      expect(existsSync(r.tmpDir)).toBe(false);
    });
  });

  it("stop when the process is interrupted", async () => {
    const { child, info: pending } = rendererProcess();
    const info = await pending;
    expect(alive(info.pid)).toBe(true);
    child.kill("SIGINT");
    const result = await child;
    expect(result.signal).toBe("SIGINT");
    expect(await gone(info.pid)).toBe(true);
    expect(existsSync(info.tmp)).toBe(false);
  });

  it("npm run render --engine crossplane killed with SIGKILL mid-render leaves no process", async () => {
    // The render may finish before it is caught with its servers up: then it is tried again.
    for (let attempt = 1; ; attempt++) {
      const child = execa(process.execPath, [join(ROOT, "scripts", "run.mjs"), "render", "examples/aws.yaml", "--engine", "crossplane"], {
        cwd: ROOT,
        reject: false,
      });
      let procs: ReturnType<typeof descendants> = [];
      while (child.exitCode === null && !procs.some((p) => p.command.includes("function-auto-ready"))) {
        procs = descendants(child.pid!);
        await new Promise((r) => setTimeout(r, 20));
      }
      if (child.exitCode !== null || !procs.some((p) => p.command.includes("function-auto-ready"))) {
        await child;
        if (attempt < 3) continue;
        throw new Error("the render finished three times before it could be killed with its servers up");
      }
      procs = descendants(child.pid!);
      child.kill("SIGKILL");
      expect((await child).signal).toBe("SIGKILL");
      const left = await waitGone(procs.map((p) => p.pid));
      expect(procs.filter((p) => left.includes(p.pid)).map((p) => p.command)).toEqual([]);
      return;
    }
  });

  it("stop when the process is killed (SIGKILL), and the next run cleans up and renders", async () => {
    const { child, info: pending } = rendererProcess();
    const info = await pending;
    // Everything under the process: the watchdog, function-auto-ready, the KCL worker.
    const procs = await waitForDescendants(child.pid!, (d) => d.some((p) => p.command.includes("function-auto-ready")));
    expect(await listening(info.target)).toBe(true);
    child.kill("SIGKILL");
    expect((await child).signal).toBe("SIGKILL");
    const left = await waitGone(procs.map((p) => p.pid));
    expect(procs.filter((p) => left.includes(p.pid)).map((p) => p.command)).toEqual([]);
    expect(await listening(info.target)).toBe(false);
    expect(existsSync(info.tmp)).toBe(true);

    // A later run is not disturbed, and removes what the killed one could not.
    await withEngine(async (engine) => {
      const r = await createCrossplaneRenderer(engine);
      try {
        expect(existsSync(info.tmp)).toBe(false);
        const pkg = loadPackage(join(WIDGETS, "package"));
        const out = await r.render(pkg, { apiVersion: "example.org/v1alpha1", kind: "Widget", metadata: { name: "w" }, spec: {} } as KubeObject);
        expect(out.xr.metadata?.name).toBe("w");
        expect(descendants(process.pid).some((p) => p.command.includes("function-auto-ready"))).toBe(true);
      } finally {
        await r.close();
      }
    });
  });
});
