import { resolve } from "node:path";
import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { listCharts, recoverBump, runBump, type BumpRequest } from "./lib/bump/index.js";
import { withInterrupts } from "./lib/bump/signals.js";

const USAGE = `usage: npm run bump -- <chart> <version-or-range> [<chart> <version-or-range>…] [options]
       npm run bump -- --list
       npm run bump -- --recover

Moves chart pins in kcl/apps.k to the newest version the range allows, read from the chart's
registry (OCI tags/list or Helm index.yaml), then regenerates package/, updates the goldens and
runs verify; if any step fails, or the bump is interrupted (Ctrl-C, kill, a closed terminal),
every file is put back as it was. A bump that was killed outright is put back by the next bump
or by --recover.

  <chart>             alias (ai-gateway), variable (aiGateway) or chart name (ai-gateway-helm)
  <version-or-range>  npm semver: 1.8.3, 0.x, ^0.6, ~1.7.0, '>=1.8 <2', '*'
  --list              print every chart: alias, variable, current pin, source
  --recover           put back the files of a bump that was killed (from .cache/bump-journal/)
  --dry-run           resolve and print the plan; write nothing
  --pre               let prereleases match
  --allow-downgrade   allow moving to an older version
  --root DIR          the checkout to bump (default: this repository)

Environment:
  CHART_SOURCE_OVERRIDES      comma-separated FROM=TO URL prefixes to read charts from a mirror,
                              e.g. oci://docker.io/=oci://127.0.0.1:5000/,https://helm.cilium.io=http://127.0.0.1:8080
                              (no user:password@ in these URLs: credentials go in the variable below)
  CHART_REGISTRY_AUTH_<HOST>  <user>:<token> for a registry that needs credentials (HOST upper-cased,
                              other characters as _, e.g. CHART_REGISTRY_AUTH_DOCKER_IO); never printed`;

await main(async () => {
  const { values, positionals } = parseCommandLine(
    USAGE,
    {
      list: { type: "boolean" },
      recover: { type: "boolean" },
      "dry-run": { type: "boolean" },
      pre: { type: "boolean" },
      "allow-downgrade": { type: "boolean" },
      force: { type: "boolean" },
      root: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const root = values.root ? resolve(values.root) : undefined;
  if (values.force) {
    throw new UsageError(
      "--force is gone: a pin outside data/compatibility.json fails verify's eg-compat, so the bump would be rolled back anyway (and npm test would fail on it). " +
        "If the table is out of date, correct data/compatibility.json, then run the bump again.",
    );
  }
  if (values.recover) {
    if (positionals.length || values.list) throw new UsageError(`--recover takes no chart names and no other command\n\n${USAGE}`);
    process.stdout.write((await recoverBump(root ? { root } : {})).join("\n") + "\n");
    return 0;
  }
  if (values.list) {
    if (positionals.length) throw new UsageError(`--list takes no chart names\n\n${USAGE}`);
    const { lines, problems } = listCharts(root ? { root } : {});
    process.stdout.write(lines.join("\n") + "\n");
    return problems ? 1 : 0;
  }
  if (positionals.length === 0 || positionals.length % 2 !== 0) {
    throw new UsageError(
      positionals.length === 1 ? `missing the version or range for ${positionals[0]} (e.g. npm run bump ${positionals[0]} '*' for the newest release)\n\n${USAGE}` : USAGE,
    );
  }
  const requests: BumpRequest[] = [];
  for (let i = 0; i < positionals.length; i += 2) requests.push({ name: positionals[i]!, range: positionals[i + 1]! });

  return withInterrupts(async (signal) => {
    const outcome = await runBump({
      ...(root ? { root } : {}),
      requests,
      dryRun: !!values["dry-run"],
      pre: !!values.pre,
      allowDowngrade: !!values["allow-downgrade"],
      signal,
      log: (line) => process.stderr.write(line + "\n"),
    });
    process.stdout.write(outcome.lines.join("\n") + "\n");
    return 0;
  }, (name) => process.stderr.write(`\n${name}: stopping and restoring files…\n`));
});
