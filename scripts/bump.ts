import { resolve } from "node:path";
import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { listCharts, runBump, type BumpRequest } from "./lib/bump/index.js";

const USAGE = `usage: npm run bump -- <chart> <version-or-range> [<chart> <version-or-range>…] [options]
       npm run bump -- --list

Moves chart pins in kcl/apps.k to the newest version the range allows, read from the chart's
registry (OCI tags/list or Helm index.yaml), then regenerates package/, updates the goldens and
runs verify; if any step fails every file is put back as it was.

  <chart>             alias (ai-gateway), variable (aiGateway) or chart name (ai-gateway-helm)
  <version-or-range>  npm semver: 1.8.3, 0.x, ^0.6, ~1.7.0, '>=1.8 <2', '*'
  --list              print every chart: alias, variable, current pin, source
  --dry-run           resolve and print the plan; write nothing
  --pre               let prereleases match
  --allow-downgrade   allow moving to an older version
  --force             write a pin that breaks the AI Gateway <-> Envoy Gateway table
  --root DIR          the checkout to bump (default: this repository)

Environment:
  CHART_SOURCE_OVERRIDES      comma-separated FROM=TO URL prefixes to read charts from a mirror,
                              e.g. oci://docker.io/=oci://127.0.0.1:5000/,https://helm.cilium.io=http://127.0.0.1:8080
  CHART_REGISTRY_AUTH_<HOST>  <user>:<token> for a registry that needs credentials (HOST upper-cased,
                              other characters as _, e.g. CHART_REGISTRY_AUTH_DOCKER_IO); never printed`;

await main(async () => {
  const { values, positionals } = parseCommandLine(
    USAGE,
    {
      list: { type: "boolean" },
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

  const controller = new AbortController();
  const onSignal = () => {
    process.stderr.write("\ninterrupted: stopping and restoring files…\n");
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const outcome = await runBump({
      ...(root ? { root } : {}),
      requests,
      dryRun: !!values["dry-run"],
      pre: !!values.pre,
      allowDowngrade: !!values["allow-downgrade"],
      force: !!values.force,
      signal: controller.signal,
      log: (line) => process.stderr.write(line + "\n"),
    });
    process.stdout.write(outcome.lines.join("\n") + "\n");
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
});
