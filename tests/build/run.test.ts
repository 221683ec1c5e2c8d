/**
 * scripts/run.mjs: commands started side by side while scripts/ changes never see a half-written
 * compiled tree (each compile goes to a new folder under a lock, then one rename switches to it).
 */
import { existsSync, lstatSync, mkdirSync, readdirSync, realpathSync, utimesSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyRepo, type RepoCopy } from "../helpers/repo.js";

let repo: RepoCopy;
beforeAll(() => {
  repo = copyRepo();
});
afterAll(() => repo.remove());

const touch = (path: string, when = new Date()) => utimesSync(join(repo.root, path), when, when);

describe("scripts/run.mjs", () => {
  it("runs every command when several start while scripts/ is being recompiled", async () => {
    // The probe, `touch scripts/lib/errors.ts; npm run build & npm run check & wait`, failed
    // about 2 in 15 with a missing export; four commands per round make it far likelier.
    const failures: string[] = [];
    for (let round = 0; round < 4; round++) {
      touch("scripts/lib/errors.ts", new Date(Date.now() + round));
      const runs = await Promise.all(Array.from({ length: 4 }, () => repo.run("tools", ["--list"])));
      for (const r of runs) if (r.exitCode !== 0) failures.push(`round ${round}: exit ${r.exitCode}: ${String(r.all).split("\n").slice(0, 4).join("\n")}`);
    }
    expect(failures).toEqual([]);
    // Compiled once per round, not once per command.
    const versions = readdirSync(join(repo.root, ".build", "versions"));
    expect(versions.length).toBeLessThanOrEqual(4);
    expect(lstatSync(join(repo.root, ".build", "scripts")).isSymbolicLink()).toBe(true);
    expect(existsSync(join(repo.root, ".build", ".lock"))).toBe(false);
  });

  it("does not recompile sources that have not changed", async () => {
    const r = await repo.run("tools", ["--list"]);
    expect(r.exitCode).toBe(0);
    const before = readdirSync(join(repo.root, ".build", "versions")).sort();
    expect((await repo.run("tools", ["--list"])).exitCode).toBe(0);
    expect(readdirSync(join(repo.root, ".build", "versions")).sort()).toEqual(before);
  });

  it("keeps the replaced tree ten minutes for commands still running from it, removes older ones", async () => {
    const versions = join(repo.root, ".build", "versions");
    expect((await repo.run("tools", ["--list"])).exitCode).toBe(0);
    const current = realpathSync(join(repo.root, ".build", "scripts"));
    const old = new Date(Date.now() - 60 * 60 * 1000);
    // An abandoned tree from an hour ago, and the current one, also compiled an hour ago.
    mkdirSync(join(versions, "abandoned", "scripts"), { recursive: true });
    utimesSync(join(versions, "abandoned"), old, old);
    utimesSync(dirname(current), old, old);
    touch("scripts/lib/errors.ts", new Date(Date.now() + 20_000));
    expect((await repo.run("tools", ["--list"])).exitCode).toBe(0);
    const left = readdirSync(versions);
    expect(left).not.toContain("abandoned");
    expect(left).toContain(basename(dirname(current)));
    expect(realpathSync(join(repo.root, ".build", "scripts"))).not.toBe(current);
  });

  it("breaks a lock left by a command that was killed while compiling", async () => {
    const lock = join(repo.root, ".build", ".lock");
    mkdirSync(lock, { recursive: true });
    // A pid that is not running: the largest pid Linux can hand out is 2^22.
    writeFileSync(join(lock, "pid"), String(2 ** 22 + 1));
    touch("scripts/lib/errors.ts", new Date(Date.now() + 60_000));
    const r = await repo.run("tools", ["--list"]);
    expect(r.exitCode, String(r.all)).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it("moves a compiled tree from before versions existed aside", async () => {
    const other = copyRepo();
    try {
      mkdirSync(join(other.root, ".build", "scripts"), { recursive: true });
      writeFileSync(join(other.root, ".build", ".stamp"), "old\n");
      const r = await execa(process.execPath, [join(other.root, "scripts", "run.mjs"), "tools", "--list"], { cwd: other.root, reject: false, all: true });
      expect(r.exitCode, String(r.all)).toBe(0);
      expect(lstatSync(join(other.root, ".build", "scripts")).isSymbolicLink()).toBe(true);
      expect(existsSync(join(other.root, ".build", ".stamp"))).toBe(false);
    } finally {
      other.remove();
    }
  });
});
