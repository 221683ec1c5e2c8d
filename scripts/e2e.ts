import { main, parseCommandLine } from "./lib/cli.js";
import { formatE2e, runE2e } from "./lib/e2e/run.js";
import { ROOT } from "./lib/paths.js";
import { ensureGoTool } from "./lib/tools.js";

const USAGE = `usage: npm run e2e [-- --verbose]

Runs the Chainsaw suite of tests/e2e/ against a local control plane (npm run cluster): reuses a
running one, or starts one for the run and stops it afterwards. Also creates every
provider-kubernetes Object manifest of the golden files with a server-side dry-run, so that the
API server's admission judges it, and says which chart CRDs could not be obtained.
  --verbose   print Chainsaw's output even when it passes`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, { verbose: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const chainsaw = await ensureGoTool("chainsaw");
  const report = await runE2e({ root: ROOT, chainsaw, log: (l) => process.stderr.write(l + "\n") });
  for (const line of formatE2e(report, values.verbose === true)) process.stdout.write(line + "\n");
  return report.ok ? 0 : 1;
});
