import { main, parseCommandLine } from "./lib/cli.js";
import { checkE2e, lintChainsawTests, lintWorkflows, type LintResult } from "./lib/lint/index.js";
import { ROOT } from "./lib/paths.js";
import { ensureGoTool } from "./lib/tools.js";

const USAGE = `usage: npm run lint [-- --fix] [--e2e]

Checks the GitHub workflows (actionlint), the Chainsaw end-to-end tests (chainsaw lint) and that
tests/e2e/ is what the golden files generate.
  --fix   regenerate tests/e2e/ from the golden files first
  --e2e   only the tests/e2e/ check (with --fix: only the regeneration); needs no Go tools`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, { fix: { type: "boolean" }, e2e: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const results: LintResult[] = [checkE2e(ROOT, values.fix === true)];
  if (!values.e2e) {
    results.push(await lintWorkflows(await ensureGoTool("actionlint"), ROOT));
    results.push(await lintChainsawTests(await ensureGoTool("chainsaw"), ROOT));
  }
  for (const r of results) {
    const write = (s: string) => process.stdout.write(s);
    write(`${r.ok ? "ok  " : "FAIL"} ${r.check}${r.ok ? `: ${r.lines.join("; ")}` : ""}\n`);
    if (!r.ok) for (const line of r.lines) write(`  ${line}\n`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
});
