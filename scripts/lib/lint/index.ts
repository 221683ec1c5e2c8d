/**
 * `npm run lint`: the GitHub workflows with actionlint, the Chainsaw tests with `chainsaw lint`,
 * and the generated end-to-end tests against the golden files they come from.
 */
import { existsSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { UserError } from "../errors.js";
import { writeFilesTogether } from "../fsutil.js";
import { E2E_DIR, E2eGenerationError, generateE2e, staleE2eFiles } from "../e2e/generate.js";

export interface LintResult {
  check: string;
  ok: boolean;
  /** Lines for a person (problems, or what was checked). */
  lines: string[];
}

const WORKFLOWS_DIR = ".github/workflows";

/** Workflow files, relative to root. */
export function workflowFiles(root: string): string[] {
  const dir = join(root, WORKFLOWS_DIR);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => `${WORKFLOWS_DIR}/${f}`);
}

export async function lintWorkflows(actionlint: string, root: string, files = workflowFiles(root)): Promise<LintResult> {
  if (files.length === 0) return { check: "actionlint", ok: false, lines: [`no workflow files in ${WORKFLOWS_DIR}/`] };
  const r = await execa(actionlint, ["-no-color", ...files], { cwd: root, reject: false, all: true });
  const out = String(r.all ?? "").trim();
  if (r.exitCode === 0) return { check: "actionlint", ok: true, lines: [`${files.length} workflow(s): ${files.join(", ")}`] };
  return { check: "actionlint", ok: false, lines: out ? out.split("\n") : [`actionlint exited ${r.exitCode}`] };
}

/** Every chainsaw-test.yaml below dir (relative to root). */
export function chainsawTests(root: string, dir = E2E_DIR): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    if (!existsSync(join(root, rel))) return;
    for (const e of readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (e.name === "chainsaw-test.yaml") out.push(p);
    }
  };
  walk(dir);
  return out;
}

export async function lintChainsawTests(chainsaw: string, root: string, files = chainsawTests(root)): Promise<LintResult> {
  if (files.length === 0) return { check: "chainsaw lint", ok: false, lines: [`no chainsaw-test.yaml under ${E2E_DIR}/`] };
  const problems: string[] = [];
  for (const file of files) {
    const r = await execa(chainsaw, ["lint", "test", "-f", file], { cwd: root, reject: false, all: true });
    const out = String(r.all ?? "");
    if (r.exitCode !== 0 || !/The document is valid/.test(out)) {
      problems.push(
        `${file}:`,
        ...out
          .split("\n")
          .filter((l) => l.trim() && !/^Processing input/.test(l))
          .map((l) => `  ${l}`),
      );
    }
  }
  return problems.length ? { check: "chainsaw lint", ok: false, lines: problems } : { check: "chainsaw lint", ok: true, lines: [`${files.length} test(s)`] };
}

/** Checks (or with fix, rewrites) tests/e2e/ against what the golden files generate. */
export function checkE2e(root: string, fix: boolean): LintResult {
  let files;
  try {
    files = generateE2e({ root });
  } catch (err) {
    // A golden, case or package file that is missing or not valid YAML fails this check with its location.
    if (err instanceof E2eGenerationError || err instanceof UserError) return { check: "e2e tests", ok: false, lines: [err.message] };
    throw err;
  }
  const { changed, extra } = staleE2eFiles(root, files);
  if (changed.length === 0 && extra.length === 0) return { check: "e2e tests", ok: true, lines: [`${files.size} generated files match the golden files`] };
  if (fix) {
    writeFilesTogether(new Map(changed.map((p) => [join(root, p), files.get(p)!])));
    for (const p of extra) rmSync(join(root, p), { force: true });
    return { check: "e2e tests", ok: true, lines: [`regenerated ${changed.length} file(s)${extra.length ? `, removed ${extra.join(", ")}` : ""}`] };
  }
  return {
    check: "e2e tests",
    ok: false,
    lines: [
      ...changed.map((p) => `${p}: out of date with the golden files`),
      ...extra.map((p) => `${p}: not generated from any golden file`),
      "run `npm run lint -- --fix` to regenerate tests/e2e/ and commit the result",
    ],
  };
}
