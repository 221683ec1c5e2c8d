import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { formatE2e, runE2e, runUpgradeE2e } from "./lib/e2e/run.js";
import { formatRealUpgrade } from "./lib/e2e/upgrade.js";
import { ROOT } from "./lib/paths.js";
import { ensureGoTool } from "./lib/tools.js";

const USAGE = `usage: npm run e2e [-- --verbose]
       npm run e2e -- --upgrade [--from <old package>] [--cases a,b | --xrs FILE] [--json]

Runs the Chainsaw suite of tests/e2e/ against a local control plane (npm run cluster): reuses a
running one, or starts one for the run and stops it afterwards. Also creates every
provider-kubernetes Object manifest of the golden files with a server-side dry-run, so that the
API server's admission judges it, and says which chart CRDs could not be obtained. Then, on a
control plane of its own, the real upgrade: Clusters made Ready with an older package, the
current package applied over them, and what Crossplane deletes, creates and updates compared
with what \`npm run upgrade-check\` predicts.
  --verbose   print Chainsaw's output even when it passes
  --upgrade   run only the real upgrade
  --from OLD  (with --upgrade) upgrade from this package, as upgrade-check's --from takes it (a
              package directory, a git ref, an OCI reference); it must then delete nothing.
              Default: a previous release derived from the current package by stated edits
  --cases a,b (with --upgrade) the cases of tests/cases to create
  --xrs FILE  (with --upgrade) create these Clusters instead: exported from a control plane, e.g.
              \`kubectl get clusters.devopstoolkit.ai -A -o yaml\` (uids, status and what Crossplane
              recorded there are dropped)
  --json      (with --upgrade) the report as JSON: every composition resource name, predicted and observed`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, {
    verbose: { type: "boolean" },
    upgrade: { type: "boolean" },
    from: { type: "string" },
    cases: { type: "string" },
    xrs: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const log = (l: string) => process.stderr.write(l + "\n");
  if (!values.upgrade && (values.from !== undefined || values.cases !== undefined || values.xrs !== undefined || values.json))
    throw new UsageError(`--from, --cases, --xrs and --json go with --upgrade\n\n${USAGE}`);
  if (values.upgrade) {
    const cases = values.cases
      ?.split(",")
      .map((c) => c.trim())
      .filter((c) => c !== "");
    const report = await runUpgradeE2e({
      root: ROOT,
      log,
      ...(values.from !== undefined ? { from: values.from } : {}),
      ...(cases ? { cases } : {}),
      ...(values.xrs !== undefined ? { xrsFile: values.xrs } : {}),
    });
    if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + "\n");
    else for (const line of formatRealUpgrade(report)) process.stdout.write(line + "\n");
    return report.ok ? 0 : 1;
  }
  const chainsaw = await ensureGoTool("chainsaw");
  const report = await runE2e({ root: ROOT, chainsaw, log });
  for (const line of formatE2e(report, values.verbose === true)) process.stdout.write(line + "\n");
  return report.ok ? 0 : 1;
});
