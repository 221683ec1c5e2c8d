/** One bump at a time per checkout: <root>/.cache/bump.lock (see ../lock.ts). */
import { join } from "node:path";
import { UserError } from "../errors.js";
import { tryLock } from "../lock.js";

export function lockPath(root: string): string {
  return join(root, ".cache", "bump.lock");
}

/** Takes the lock or throws a UserError naming the holder. Returns the release function. */
export function acquireLock(root: string): () => void {
  const path = lockPath(root);
  const r = tryLock(path);
  if ("holder" in r)
    throw new UserError(`another bump is running (pid ${r.holder}, lock ${path}); wait for it to finish. If no bump is running, delete ${path}.`);
  return r.release;
}
