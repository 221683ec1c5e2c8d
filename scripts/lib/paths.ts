import { existsSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this module that holds tools.json. */
function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "tools.json")) && existsSync(join(dir, "package.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the repository root (no tools.json above " + fileURLToPath(import.meta.url) + ")");
    dir = parent;
  }
}

export const ROOT = findRoot();
/** Installed tools (ignored by git). */
export const TOOLS_DIR = join(ROOT, ".tools");
/** Caches that are safe to delete (ignored by git). */
export const CACHE_DIR = join(ROOT, ".cache");
export const KCL_DIR = join(ROOT, "kcl");
export const PACKAGE_DIR = join(ROOT, "package");

/** A path as a person should see it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const abs = resolve(path);
  const rel = relative(process.cwd(), abs);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}
