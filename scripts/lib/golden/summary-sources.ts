/**
 * The two sides of `npm run check -- --summary`: the committed package/ and tests/golden/ (from
 * the work tree, or from a git ref with `base`), and what kcl/ renders now (the same in-memory
 * package and renders as `npm run check`). Writes nothing but the KCL result cache.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { UserError } from "../errors.js";
import type { KclEngine } from "../kcl/engine.js";
import { ROOT, LAYOUT } from "../paths.js";
import { renderCases } from "../cases.js";
import { cachingEngine } from "../kcl/cache.js";
import { packageFromSources } from "./check.js";
import { ACTUAL_SUFFIX, GOLDEN_SUFFIX, goldenText } from "./index.js";
import { summarizeChanges, type Summary, type SummaryOptions, type SummarySide } from "./summary.js";

export interface SummaryRunOptions extends SummaryOptions {
  root?: string;
  /** A git ref whose package/ and tests/golden/ are the committed side (default: the work tree). */
  base?: string;
  cache?: boolean;
}

const isGolden = (f: string) => f.endsWith(GOLDEN_SUFFIX) && !f.endsWith(ACTUAL_SUFFIX);

function fromWorkTree(root: string): SummarySide {
  const pkgDir = join(root, LAYOUT.package);
  const goldenDir = join(root, LAYOUT.golden);
  const pkg = new Map<string, string>();
  if (existsSync(pkgDir))
    for (const f of readdirSync(pkgDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort())
      pkg.set(f, readFileSync(join(pkgDir, f), "utf8"));
  const renders = new Map<string, string>();
  if (existsSync(goldenDir))
    for (const f of readdirSync(goldenDir).filter(isGolden).sort()) renders.set(f.slice(0, -GOLDEN_SUFFIX.length), readFileSync(join(goldenDir, f), "utf8"));
  return { package: pkg, renders };
}

async function git(root: string, args: string[]): Promise<string> {
  const r = await execa("git", args, { cwd: root, reject: false, stripFinalNewline: false });
  if (r.exitCode !== 0) throw new UserError(`git ${args.join(" ")} failed in ${root}: ${String(r.stderr).trim() || `exit code ${r.exitCode}`}`);
  return String(r.stdout);
}

async function fromGit(root: string, ref: string): Promise<SummarySide> {
  const check = await execa("git", ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], { cwd: root, reject: false });
  if (check.exitCode !== 0) throw new UserError(`--base ${ref}: no such commit in ${root}. Fetch it first (e.g. git fetch origin main) or name another ref.`);
  const files = (await git(root, ["ls-tree", "-r", "--name-only", ref, "--", LAYOUT.package, LAYOUT.golden])).split("\n").filter(Boolean);
  const pkg = new Map<string, string>();
  const renders = new Map<string, string>();
  for (const f of files.sort()) {
    if (/^package\/[^/]+\.ya?ml$/.test(f)) pkg.set(f.slice("package/".length), await git(root, ["show", `${ref}:${f}`]));
    else if (/^tests\/golden\/[^/]+$/.test(f) && isGolden(f))
      renders.set(f.slice(`${LAYOUT.golden}/`.length, -GOLDEN_SUFFIX.length), await git(root, ["show", `${ref}:${f}`]));
  }
  return { package: pkg, renders };
}

export async function runSummary(engine: KclEngine, options: SummaryRunOptions = {}): Promise<Summary> {
  const root = options.root ?? ROOT;
  const before = options.base ? await fromGit(root, options.base) : fromWorkTree(root);
  const cache = options.cache === false ? undefined : cachingEngine(engine, join(root, ".cache", "render-kcl"), { fileRoots: [join(root, "kcl")] });
  const { generated, pkg } = await packageFromSources(cache ?? engine, root);
  const nowPackage = new Map(fromWorkTree(root).package);
  for (const [path, content] of generated) if (/^package\/[^/]+\.ya?ml$/.test(path)) nowPackage.set(path.slice("package/".length), content);
  const cases = await renderCases(cache ?? engine, pkg, join(root, LAYOUT.cases));
  cache?.prune();
  const renders = new Map<string, string>();
  const failed = new Map<string, string>();
  for (const c of cases) {
    const text = goldenText(c);
    if (text === undefined) failed.set(c.case, c.error ?? "render failed");
    else renders.set(c.case, text);
  }
  return summarizeChanges(
    before,
    { package: nowPackage, renders, failed },
    { ...options, ...(options.base ? { before: `\`${options.base}\`'s \`package/\` and \`tests/golden/\`` } : {}) },
  );
}
