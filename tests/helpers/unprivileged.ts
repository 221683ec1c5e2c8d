/**
 * Makes a path unwritable for the test process: with `chmod a-w` for an ordinary user, and for
 * root (which file modes do not stop) with the immutable attribute (`chattr +i`, refused with
 * EPERM). A test that cannot do either fails and says why.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, statSync } from "node:fs";

const ROOT_USER = process.getuid?.() === 0;

/** Makes path unwritable; returns the function that undoes it. */
export function makeUnwritable(path: string): () => void {
  if (ROOT_USER) {
    try {
      execFileSync("chattr", ["+i", path], { stdio: "pipe" });
    } catch (err) {
      throw new Error(
        `test setup: running as root, so ${path} is made unwritable with chattr +i, which failed (${String((err as { stderr?: unknown }).stderr ?? err).trim()}); run the tests on a file system with file attributes (ext4, xfs) or as another user`,
      );
    }
    return () => execFileSync("chattr", ["-i", path]);
  }
  const mode = statSync(path).mode & 0o7777;
  chmodSync(path, mode & ~0o222);
  return () => chmodSync(path, mode);
}

/** The error code a write to an unwritable path gets here: EPERM as root (immutable), EACCES otherwise. */
export const UNWRITABLE_CODE = ROOT_USER ? "EPERM" : "EACCES";
