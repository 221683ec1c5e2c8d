/** The one lock (scripts/lib/lock.ts) that bump refuses on and the tool installer waits for. */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tryLock, waitForLock } from "../../scripts/lib/lock.js";

describe("lock", () => {
  it("holds the owner's pid, refuses a second taker naming the holder, and is gone after release", () => {
    const path = join(mkdtempSync(join(tmpdir(), "lock-")), "sub", "x.lock");
    const first = tryLock(path);
    expect("release" in first).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
    expect(tryLock(path)).toEqual({ holder: process.pid });
    if ("release" in first) first.release();
    expect(existsSync(path)).toBe(false);
  });

  it("takes over a lock whose process is gone", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "lock-")), "x.lock");
    const child = spawn(process.execPath, ["-e", "0"]);
    const pid = child.pid!;
    await new Promise((r) => child.once("exit", r));
    writeFileSync(path, `${pid}\n`);
    const r = tryLock(path);
    expect("release" in r).toBe(true);
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
  });

  it("waits for a live holder, says once who it is, and takes the lock when it is released", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "lock-")), "x.lock");
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"]);
    writeFileSync(path, `${child.pid}\n`);
    const told: number[] = [];
    const waiting = waitForLock(path, (holder) => told.push(holder), 50);
    await new Promise((r) => setTimeout(r, 300));
    expect(told).toEqual([child.pid]);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    const release = await waiting;
    expect(readFileSync(path, "utf8")).toBe(`${process.pid}\n`);
    release();
    expect(existsSync(path)).toBe(false);
  });
});
