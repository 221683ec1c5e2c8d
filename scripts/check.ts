import { resolve } from "node:path";
import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { writeFileAtomic } from "./lib/fsutil.js";
import { runCheck } from "./lib/golden/check.js";
import { withEngine } from "./lib/kcl/index.js";

const USAGE = `usage: npm run check [-- --update]
       npm run check -- --summary [FILE] [--base REF]     (also: npm run diff)

Regenerates package/ from kcl/ in memory, renders every case in tests/cases/ and compares both with
what is committed (package/ and tests/golden/<case>.yaml). Prints a unified diff per mismatch, writes
<case>.actual.yaml beside a mismatching golden, reports stale goldens, and exits 1.
  --update     accept: rewrite package/ and the goldens (never for a case that failed to render)
  --no-cache   evaluate every KCL program and parse every YAML file afresh instead of reusing unchanged
               results from .cache/render-kcl and .cache/yaml
  --summary    instead: a Markdown report of what the sources change for a Cluster, per case (composed
               resources added, removed, changed: chart versions, paths, a short diff) and for the
               package (XRD fields, dependsOn, compositions); written to FILE, or printed. Writes no
               golden; exits 0 whatever it finds
  --base REF   with --summary: compare with REF's package/ and tests/golden/ (e.g. origin/main)
               instead of the work tree's`;

await main(async () => {
  const { values, positionals } = parseCommandLine(
    USAGE,
    {
      update: { type: "boolean" },
      "no-cache": { type: "boolean" },
      summary: { type: "boolean" },
      base: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const cache = !values["no-cache"];
  if (values.summary) {
    if (values.update) throw new UsageError(`--summary and --update: choose one\n\n${USAGE}`);
    if (positionals.length > 1) throw new UsageError(`--summary takes one FILE at most\n\n${USAGE}`);
    // Loaded only for --summary: the plain check needs neither git nor the summary code.
    const { runSummary } = await import("./lib/golden/summary-sources.js");
    const summary = await withEngine((engine) => runSummary(engine, { cache, ...(values.base ? { base: values.base } : {}) }), { workers: 2 });
    if (positionals[0]) {
      writeFileAtomic(resolve(positionals[0]), summary.markdown);
      process.stderr.write(
        `wrote ${positionals[0]} (${summary.changes === 0 ? "no changes" : `${summary.changes} change${summary.changes === 1 ? "" : "s"}`})\n`,
      );
    } else process.stdout.write(summary.markdown);
    return 0;
  }
  if (values.base) throw new UsageError(`--base goes with --summary\n\n${USAGE}`);
  if (positionals.length) throw new UsageError(`unexpected argument ${positionals[0]}\n\n${USAGE}`);
  const result = await withEngine((engine) => runCheck(engine, { update: values.update ?? false, cache }), { workers: 2 });
  for (const p of result.patches) process.stdout.write(p);
  for (const m of result.messages) process.stderr.write(m + "\n");
  return result.exitCode;
});
