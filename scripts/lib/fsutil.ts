import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** Writes a file atomically: a temp file beside it, then a rename. */
export function writeFileAtomic(path: string, content: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** The file's content, or undefined when it does not exist. */
export function readIfExists(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/**
 * Writes several files as one change: every file goes to a temp file first; only when all
 * temp files exist are they renamed into place. If a rename fails, files already replaced
 * are put back as they were. Returns the paths whose content changed.
 */
export function writeFilesTogether(files: ReadonlyMap<string, string>): string[] {
  const staged: { path: string; tmp: string; before: string | undefined }[] = [];
  const suffix = `.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    for (const [path, content] of files) {
      const before = readIfExists(path);
      if (before === content) continue;
      mkdirSync(dirname(path), { recursive: true });
      const tmp = path + suffix;
      writeFileSync(tmp, content);
      staged.push({ path, tmp, before });
    }
  } catch (err) {
    for (const s of staged) rmSync(s.tmp, { force: true });
    throw err;
  }
  const done: typeof staged = [];
  try {
    for (const s of staged) {
      renameSync(s.tmp, s.path);
      done.push(s);
    }
  } catch (err) {
    for (const s of done) {
      if (s.before === undefined) rmSync(s.path, { force: true });
      else writeFileAtomic(s.path, s.before);
    }
    for (const s of staged) rmSync(s.tmp, { force: true });
    throw err;
  }
  return staged.map((s) => s.path);
}

/** A hash (hex sha256) of every file under dir, recursively: relative paths and contents, in sorted order. */
export function hashFolder(dir: string): string {
  const hash = createHash("sha256");
  const walk = (rel: string) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile())
        hash
          .update(`${p}\0`)
          .update(readFileSync(join(dir, p)))
          .update("\0");
    }
  };
  walk("");
  return hash.digest("hex");
}
