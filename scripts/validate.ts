import { join } from "node:path";
import { main, parseCommandLine } from "./lib/cli.js";
import { withEngine } from "./lib/kcl/index.js";
import { CACHE_DIR, ROOT } from "./lib/paths.js";
import { ensureGoTool, loadPins } from "./lib/tools.js";
import { formatReport, validateProject } from "./lib/validate/index.js";

const USAGE = `usage: npm run validate [-- --refresh] [--verbose]

Validates the package's objects, every example Cluster (examples/) and every rendered case
(tests/cases/) with \`crossplane beta validate\` against the XRD and the CRDs of the packages
package/crossplane.yaml depends on. CRDs are fetched from the providers' Go modules through the
Go module proxy on first use and cached in .cache/crds/.
  --refresh   forget cached CRDs and refused versions, fetch again`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, { refresh: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const crossplane = await ensureGoTool("crossplane");
  const report = await withEngine((engine) =>
    validateProject({
      root: ROOT,
      engine,
      crossplane,
      crossplaneVersion: loadPins().crossplane.version,
      cacheDir: join(CACHE_DIR, "crds"),
      refresh: values.refresh === true,
      log: (line) => process.stderr.write(line + "\n"),
    }),
  );
  const { errors, summary } = formatReport(report);
  for (const line of summary) process.stdout.write(line + "\n");
  if (errors.length > 0) {
    process.stdout.write(`\n${errors.length} validation error(s):\n`);
    for (const line of errors) process.stdout.write(`  ${line}\n`);
    return 1;
  }
  return 0;
});
