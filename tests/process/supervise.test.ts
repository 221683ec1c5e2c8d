/**
 * spawnSupervised(): a child server dies with its parent, SIGKILL included, together with
 * everything it started itself; stopping it passes on the exit status.
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/paths.js";
import { spawnSupervised, stopSupervised } from "../../scripts/lib/supervise.js";
import { descendants, waitForDescendants, waitGone } from "../helpers/processes.js";

const SUPERVISE = pathToFileURL(join(ROOT, ".build", "scripts", "lib", "supervise.js")).href;

/** A parent Node process that starts `sh -c script` supervised and then waits forever. */
function parentRunning(script: string) {
  const code = `
    const { spawnSupervised } = await import(${JSON.stringify(SUPERVISE)});
    const c = spawnSupervised("sh", ["-c", ${JSON.stringify(script)}], { stdout: "ignore", stderr: "ignore", graceMs: 500 });
    c.on("spawn", () => process.stdout.write("started\\n"));
    setInterval(() => {}, 1000);
  `;
  return execa(process.execPath, ["--input-type=module", "-e", code], { reject: false });
}

describe("spawnSupervised", () => {
  for (const signal of ["SIGKILL", "SIGTERM", "SIGHUP"] as const) {
    it(`leaves no process behind when the parent gets ${signal}`, async () => {
      // Two sleeps: the program and a child of its own, both must go.
      const parent = parentRunning("sleep 300 & sleep 301; wait");
      const procs = await waitForDescendants(parent.pid!, (d) => d.filter((p) => /^sleep 30[01]$/.test(p.command)).length === 2);
      expect(procs.map((p) => p.command)).toEqual(expect.arrayContaining(["sleep 300", "sleep 301"]));
      parent.kill(signal);
      const r = await parent;
      expect(r.signal).toBe(signal);
      expect(await waitGone(procs.map((p) => p.pid))).toEqual([]);
    });
  }

  it("kills a program that ignores SIGTERM after the grace period", async () => {
    const parent = parentRunning("trap '' TERM; sleep 302");
    const procs = await waitForDescendants(parent.pid!, (d) => d.some((p) => p.command === "sleep 302"));
    parent.kill("SIGKILL");
    await parent;
    expect(await waitGone(procs.map((p) => p.pid))).toEqual([]);
  });

  it("passes on the program's exit code and output, and stops it on request", async () => {
    const done = spawnSupervised("sh", ["-c", "echo out; echo err >&2; exit 7"]);
    let out = "";
    let err = "";
    done.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    done.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => done.on("exit", (c) => resolve(c)));
    expect({ code, out, err }).toEqual({ code: 7, out: "out\n", err: "err\n" });

    const running = spawnSupervised("sleep", ["303"], { stdout: "ignore", stderr: "ignore" });
    const procs = await waitForDescendants(running.pid!, (d) => d.some((p) => p.command === "sleep 303"));
    await stopSupervised(running);
    expect(running.signalCode).toBe("SIGTERM");
    expect(await waitGone(procs.map((p) => p.pid))).toEqual([]);
    expect(descendants(running.pid!)).toEqual([]);
  });

  it("reports a program that cannot start", async () => {
    const c = spawnSupervised("/nonexistent/program", []);
    let err = "";
    c.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => c.on("exit", (x) => resolve(x)));
    expect(code).toBe(127);
    expect(err).toMatch(/cannot start \/nonexistent\/program: .*ENOENT/);
  });
});
