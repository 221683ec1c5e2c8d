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

/**
 * The repository's layout, relative to a root: this checkout's (ROOT) or another one (a bump's
 * or a test's temporary copy, an old release's tree). Everything joins these names.
 */
export const LAYOUT = {
  kcl: "kcl",
  /** The app catalogue and its chart pins. */
  apps: "kcl/apps.k",
  /** The generated Configuration package. */
  package: "package",
  /** Example XRs: <case>.yaml and <case>.observed.yaml. */
  cases: "tests/cases",
  /** What each case renders to: <case>.yaml. */
  golden: "tests/golden",
  /** The Chainsaw tests generated from the goldens. */
  e2e: "tests/e2e",
  examples: "examples",
} as const;

export const KCL_DIR = join(ROOT, LAYOUT.kcl);
export const PACKAGE_DIR = join(ROOT, LAYOUT.package);
export const CASES_DIR = join(ROOT, LAYOUT.cases);
export const GOLDEN_DIR = join(ROOT, LAYOUT.golden);

/** The annotation that names a composed resource's composition resource name (Crossplane's, on every composed resource). */
export const ANNOTATION_RESOURCE_NAME = "crossplane.io/composition-resource-name";

/** A path as a person should see it: relative to the working directory when inside it. */
export function displayPath(path: string): string {
  const abs = resolve(path);
  const rel = relative(process.cwd(), abs);
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? abs : rel;
}
