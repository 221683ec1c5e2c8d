/**
 * One lock for the whole pipeline: a file holding its owner's pid, created with that pid in one
 * step (a hard link of a written temporary file), so nobody ever reads an empty lock. A lock
 * whose process is gone is taken over. Bump refuses when the lock is held; the tool installer
 * waits for it.
 */
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { isProcessAlive } from "./process.js";

export type Release = () => void;

/** Takes the lock at path, or says which live process holds it. */
export function tryLock(path: string): { release: Release } | { holder: number } {
  mkdirSync(dirname(path), { recursive: true });
  for (;;) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${process.pid}\n`);
    try {
      linkSync(tmp, path);
      let released = false;
      return {
        release: () => {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    } finally {
      rmSync(tmp, { force: true });
    }
    let holder = 0;
    try {
      holder = Number.parseInt(readFileSync(path, "utf8"), 10) || 0;
    } catch {
      continue; // released meanwhile
    }
    if (holder && isProcessAlive(holder)) return { holder };
    rmSync(path, { force: true }); // its process is gone
  }
}

/** Waits until the lock at path can be taken; onWait is told once who holds it. */
export async function waitForLock(path: string, onWait: (holder: number) => void, pollMs = 500): Promise<Release> {
  let told = false;
  for (;;) {
    const r = tryLock(path);
    if ("release" in r) return r.release;
    if (!told) onWait(r.holder);
    told = true;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
