/**
 * A temporary copy of the repository for tests that change sources or run entry files:
 * kcl/, package/, scripts/, tests/cases and tests/golden and the top-level files are copied;
 * node_modules/ and .tools/ are linked so the copy uses the same installed tools.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type Result } from "execa";
import { ROOT } from "../../scripts/lib/paths.js";

const COPIED = [
  "kcl",
  "package",
  "scripts",
  "data",
  "tools",
  "examples",
  "tests/cases",
  "tests/golden",
  "package.json",
  "tools.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "renovate.json",
];
const LINKED = ["node_modules", ".tools"];

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

export function copyRepo(): RepoCopy {
  const root = mkdtempSync(join(tmpdir(), "dot-cluster-"));
  for (const p of COPIED) if (existsSync(join(ROOT, p))) cpSync(join(ROOT, p), join(root, p), { recursive: true });
  for (const p of LINKED) if (existsSync(join(ROOT, p))) symlinkSync(join(ROOT, p), join(root, p));
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
