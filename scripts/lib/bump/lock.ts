/**
 * One bump at a time per checkout: <root>/.cache/bump.lock, created exclusively, holding the
 * owner's pid. A lock whose process is gone is taken over.
 */
import { mkdirSync, openSync, closeSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { isProcessAlive } from "../process.js";

export function lockPath(root: string): string {
  return join(root, ".cache", "bump.lock");
}

/** Takes the lock or throws a UserError naming the holder. Returns the release function. */
export function acquireLock(root: string): () => void {
  const path = lockPath(root);
  mkdirSync(join(root, ".cache"), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      let holder = 0;
      try {
        holder = Number.parseInt(readFileSync(path, "utf8"), 10) || 0;
      } catch {
        continue; // released meanwhile
      }
      if (holder && isProcessAlive(holder)) {
        throw new UserError(`another bump is running (pid ${holder}, lock ${path}); wait for it to finish. If no bump is running, delete ${path}.`);
      }
      rmSync(path, { force: true }); // its process is gone
    }
  }
  throw new UserError(`cannot take the bump lock ${path}; if no bump is running, delete it.`);
}
