/**
 * The one temporary checkout for tests that change sources or run entry files. By default it
 * holds every path of REPO_PATHS (what the pipeline reads and writes: kcl/, package/, scripts/,
 * tests/cases, tests/golden, tests/e2e, the top-level files, …), with node_modules/ and .tools/
 * linked so the copy uses the same installed tools; `only` copies a part of that list.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { execa, type Result } from "execa";
import { ROOT } from "../../scripts/lib/paths.js";

/** Every path of the repository a checkout may hold (files or folders, relative to the root). */
export const REPO_PATHS = [
  ".github",
  "kcl",
  "package",
  "scripts",
  "data",
  "tools",
  "examples",
  "tests/cases",
  "tests/golden",
  "tests/e2e",
  "package.json",
  "tools.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "renovate.json",
] as const;
const LINKED = ["node_modules", ".tools"];

export type RepoPath = (typeof REPO_PATHS)[number] | "kcl/apps.k" | "data/compatibility.json";

export interface CopyOptions {
  /** Copy only these paths (default: all of REPO_PATHS). */
  only?: readonly RepoPath[];
  /** Link node_modules/ and .tools/ (default: true when every path is copied, which is what running entries needs). */
  link?: boolean;
  /** The temporary folder's name prefix. */
  prefix?: string;
}

export interface RepoCopy {
  root: string;
  read(path: string): string;
  write(path: string, content: string): void;
  /** Replaces text in a file; fails loudly when the text is not there. */
  replace(path: string, from: string | RegExp, to: string): void;
  /** Runs `node scripts/run.mjs <entry> args…` in the copy. */
  run(entry: string, args?: string[], env?: Record<string, string>): Promise<Result>;
  remove(): void;
}

export function copyRepo(options: CopyOptions = {}): RepoCopy {
  const root = mkdtempSync(join(tmpdir(), options.prefix ?? "dot-cluster-"));
  for (const p of options.only ?? REPO_PATHS) {
    if (!existsSync(join(ROOT, p))) continue;
    mkdirSync(dirname(join(root, p)), { recursive: true });
    // *.tmp are the leftovers of an atomic write in progress, never part of a checkout.
    cpSync(join(ROOT, p), join(root, p), { recursive: true, filter: (src) => !src.endsWith(".tmp") });
  }
  if (options.link ?? options.only === undefined) for (const p of LINKED) if (existsSync(join(ROOT, p))) symlinkSync(join(ROOT, p), join(root, p));
  return {
    root,
    read: (p) => readFileSync(join(root, p), "utf8"),
    write: (p, c) => writeFileSync(join(root, p), c),
    replace(p, from, to) {
      const before = readFileSync(join(root, p), "utf8");
      const after = before.replace(from, to);
      if (after === before) throw new Error(`test setup: ${String(from)} not found in ${p}`);
      writeFileSync(join(root, p), after);
    },
    run: (entry, args = [], env = {}) =>
      execa(process.execPath, [join(root, "scripts", "run.mjs"), entry, ...args], { cwd: root, reject: false, all: true, env }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}
