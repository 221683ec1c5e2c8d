import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { PACKAGE_DIR } from "./lib/paths.js";
import { formatHuman, formatJson, readAllowFile, runUpgradeCheck } from "./lib/upgrade/index.js";

const USAGE = `usage: npm run upgrade-check -- --from <old> [--cases DIR | --xrs FILE] [--allow NAME]… [--allow-file FILE] [--json]

Renders every case with the old and the new package, reconciling each a few times as Crossplane
would (each render's XR status and composed resources observed by the next), and reports per case
and composition resource name what the upgrade deletes, adds and changes, plus XRD changes.
Exits 1 on any deletion or breaking change that no --allow names.
  --from OLD        a git ref of this repository (v1.2.0, HEAD~3), a package directory, or an OCI
                    package reference (xpkg.upbound.io/org/pkg:v1.0.0, oci://…); registry access as
                    bump's (CHART_REGISTRY_AUTH_<HOST>, CHART_SOURCE_OVERRIDES)
  --package DIR     the new package (default package/)
  --cases DIR       the example XRs (default tests/cases/)
  --xrs FILE        XRs exported from a control plane instead (kubectl get clusters.devopstoolkit.ai -A -o yaml)
  --allow NAME      acknowledge the findings of a composition resource name (or case/name), an XRD
                    field path, or a rule id (deleted, metadata-name, immutable-field, …); repeatable
  --allow-file FILE the same, one per line (# comments), e.g. upgrade-allow.txt in CI
  --reconciles N    reconciles per package (default 3)
  --json            print the report as JSON
  --no-cache        evaluate every KCL step in this run: neither read nor write .cache/render-kcl (by
                    default step results are reused from there and stored there, as by \`npm run check\`;
                    the cache is content-addressed and never changes a report)`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, {
    from: { type: "string" },
    package: { type: "string" },
    cases: { type: "string" },
    xrs: { type: "string" },
    allow: { type: "string", multiple: true },
    "allow-file": { type: "string" },
    reconciles: { type: "string" },
    json: { type: "boolean" },
    "no-cache": { type: "boolean" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (!values.from) throw new UsageError(`--from is required\n\n${USAGE}`);
  if (values.reconciles !== undefined && !/^\d+$/.test(values.reconciles))
    throw new UsageError(`--reconciles must be a whole number, not ${values.reconciles}\n\n${USAGE}`);
  const result = await runUpgradeCheck({
    from: values.from,
    packageDir: values.package ?? PACKAGE_DIR,
    ...(values.cases ? { casesDir: values.cases } : {}),
    ...(values.xrs ? { xrsFile: values.xrs } : {}),
    ...(values.reconciles ? { reconciles: Number(values.reconciles) } : {}),
    allow: [...(values.allow ?? []), ...(values["allow-file"] ? readAllowFile(values["allow-file"]) : [])],
    cache: values["no-cache"] ? "off" : "on",
  });
  const w = result.work;
  process.stderr.write(`KCL step runs: ${w.evaluated} evaluated, ${w.reused} reused from .cache/render-kcl, ${w.shared} shared between identical renders\n`);
  if (values.json) process.stdout.write(formatJson(result.report, result.unusedAllow));
  else process.stdout.write(formatHuman(result.report, { colour: process.stdout.isTTY === true && !process.env.NO_COLOR, unusedAllow: result.unusedAllow }));
  return result.exitCode;
});
