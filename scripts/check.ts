import { main, parseCommandLine } from "./lib/cli.js";
import { runCheck } from "./lib/golden/check.js";
import { withEngine } from "./lib/kcl/index.js";

const USAGE = `usage: npm run check [-- --update]

Regenerates package/ from kcl/ in memory, renders every case in tests/cases/ and compares both with
what is committed (package/ and tests/golden/<case>.yaml). Prints a unified diff per mismatch, writes
<case>.actual.yaml beside a mismatching golden, reports stale goldens, and exits 1.
  --update     accept: rewrite package/ and the goldens (never for a case that failed to render)
  --no-cache   evaluate every KCL program afresh instead of reusing unchanged results from .cache/render-kcl`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, { update: { type: "boolean" }, "no-cache": { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const result = await withEngine((engine) => runCheck(engine, { update: values.update ?? false, cache: !values["no-cache"] }), { workers: 2 });
  for (const p of result.patches) process.stdout.write(p);
  for (const m of result.messages) process.stderr.write(m + "\n");
  return result.exitCode;
});
