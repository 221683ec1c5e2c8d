import { resolve } from "node:path";
import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { listCharts, recoverBump, runBump, type BumpRequest } from "./lib/bump/index.js";
import { withInterrupts } from "./lib/bump/signals.js";
import { allPlanJson, formatAllPlan, runBumpAll } from "./lib/bump/all.js";

const USAGE = `usage: npm run bump -- <chart> <version-or-range> [<chart> <version-or-range>…] [options]
       npm run bump -- --all [--major] [--dry-run] [--json | --markdown] [--strict]
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
  --all               move every chart with a registry to its newest release of the same major
                      (prereleases never), planned together: a move the AI Gateway <-> Envoy
                      Gateway table needs a partner for moves both, or the chart is held back with
                      the reason; one regeneration, golden update, verify and e2e regeneration
  --major             with --all: let charts cross to a new major version
  --strict            with --all: a registry that cannot be read fails the bump (default: reported,
                      its charts stay)
  --json              with --all: print the plan (and what was applied) as JSON
  --markdown          with --all: print the plan as Markdown (pull-request bodies)
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
      all: { type: "boolean" },
      major: { type: "boolean" },
      strict: { type: "boolean" },
      json: { type: "boolean" },
      markdown: { type: "boolean" },
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
  if (values.recover) {
    if (positionals.length || values.list || values.all) throw new UsageError(`--recover takes no chart names and no other command\n\n${USAGE}`);
    process.stdout.write((await recoverBump(root ? { root } : {})).join("\n") + "\n");
    return 0;
  }
  if (values.list) {
    if (positionals.length) throw new UsageError(`--list takes no chart names\n\n${USAGE}`);
    const { lines, problems } = listCharts(root ? { root } : {});
    process.stdout.write(lines.join("\n") + "\n");
    return problems ? 1 : 0;
  }
  const allOnly = (["major", "strict", "json", "markdown"] as const).filter((o) => values[o]);
  if (!values.all && allOnly.length) throw new UsageError(`${allOnly.map((o) => `--${o}`).join(", ")} can only be used with --all\n\n${USAGE}`);
  if (values.all) {
    if (positionals.length) throw new UsageError(`--all takes no chart names (it moves every chart)\n\n${USAGE}`);
    if (values.json && values.markdown) throw new UsageError(`--json and --markdown: choose one\n\n${USAGE}`);
    for (const o of ["pre", "allow-downgrade", "force"] as const)
      if (values[o])
        throw new UsageError(
          `--${o} does not go with --all (it never takes prereleases, never moves back and never breaks the compatibility table)\n\n${USAGE}`,
        );
    return withInterrupts(async (signal) => {
      const dryRun = !!values["dry-run"];
      const outcome = await runBumpAll({
        ...(root ? { root } : {}),
        major: !!values.major,
        dryRun,
        strict: !!values.strict,
        signal,
        log: (line) => process.stderr.write(line + "\n"),
      });
      if (values.json) process.stdout.write(JSON.stringify(allPlanJson(outcome, { dryRun }), null, 2) + "\n");
      else process.stdout.write(formatAllPlan(outcome, { dryRun, markdown: !!values.markdown }).join("\n") + "\n");
      return 0;
    }, onInterrupt);
  }
  if (values.force) {
    throw new UsageError(
      "--force is gone: a pin outside data/compatibility.json fails verify's eg-compat, so the bump would be rolled back anyway (and npm test would fail on " +
        "it). " +
        "If the table is out of date, correct data/compatibility.json, then run the bump again.",
    );
  }
  if (positionals.length === 0 || positionals.length % 2 !== 0) {
    throw new UsageError(
      positionals.length === 1
        ? `missing the version or range for ${positionals[0]} (e.g. npm run bump ${positionals[0]} '*' for the newest release)\n\n${USAGE}`
        : USAGE,
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
  }, onInterrupt);
});

function onInterrupt(name: string): void {
  process.stderr.write(`\n${name}: stopping and restoring files…\n`);
}
