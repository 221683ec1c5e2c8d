import { errorReport, main, parseCommandLine } from "./lib/cli.js";
import { createEngine } from "./lib/kcl/index.js";
import { PACKAGE_DIR, CASES_DIR } from "./lib/paths.js";
import { formatFinding, formatJson, formatJsonError, formatSummary, verify } from "./lib/verify/index.js";
import { relative } from "node:path";

const USAGE = `usage: npm run verify [-- --package DIR --cases DIR --json --strict]

Renders every case and checks the package and the rendered resources with every rule
(Envoy Gateway config, extension server, gated bundle, version compatibility, Usages, hygiene).
Prints each finding as \`RULE-ID case resource: message (hint)\`; exits 1 on any error finding.
  --package DIR   the Crossplane package directory (default: package/)
  --cases DIR     the example XRs to render (default: tests/cases/)
  --json          print the findings as JSON
  --strict        a check that could not run (Envoy Gateway's own validator without Go or the Go
                  module proxy) is an error, not a warning`;

// Read before parsing: with --json even a bad command line is answered with a JSON object.
const json = process.argv.slice(2).includes("--json");

await main(async () => {
  try {
    return await run();
  } catch (err) {
    if (json) process.stdout.write(formatJsonError(errorReport(err)));
    throw err;
  }
});

async function run(): Promise<number> {
  const { values } = parseCommandLine(USAGE, {
    package: { type: "string" },
    cases: { type: "string" },
    json: { type: "boolean" },
    strict: { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const cwd = process.cwd();
  const packageDir = values.package ?? (relative(cwd, PACKAGE_DIR) || ".");
  const casesDir = values.cases ?? (relative(cwd, CASES_DIR) || ".");
  const engine = await createEngine({ workers: 2 });
  try {
    const report = await verify(engine, { packageDir, casesDir, displayRoot: cwd, strict: values.strict === true });
    if (values.json) process.stdout.write(formatJson(report));
    else for (const f of report.findings) process.stdout.write(formatFinding(f) + "\n");
    process.stderr.write(formatSummary(report.summary) + "\n");
    return report.summary.errors > 0 ? 1 : 0;
  } finally {
    await engine.close();
  }
}
