import { join, relative } from "node:path";
import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { writeFileAtomic } from "./lib/fsutil.js";
import { createEngine } from "./lib/kcl/index.js";
import { CACHE_DIR, PACKAGE_DIR, ROOT, CASES_DIR } from "./lib/paths.js";
import { loadPackage } from "./lib/render/index.js";
import { loadPins } from "./lib/tools.js";
import { crdDefaulter } from "./lib/upgrade-facts/live.js";
import { obtainSchemas } from "./lib/validate/crds.js";
import { recordFacts } from "./lib/upgrade-facts/record.js";

const USAGE = `usage: npm run record-upgrade-facts -- <git-dir> [--commit REF] [--output FILE]

Renders the package/ of dot-kubernetes at REF (default 83c2e26, the release users upgrade from)
with this repository's render, on every XR state its Chainsaw tests (tests/aws, azure, google)
apply and on tests/cases/, and writes what it composes (composition resource names, kinds,
metadata.names) and its asserts resolved to plain values as JSON. tests/upgrade/upgrade.test.ts
replays them against the current package.
  <git-dir>        a clone or bare mirror of github.com/vfarcic/crossplane-kubernetes
  --commit REF     the release to record (default 83c2e26)
  --output FILE    default tests/upgrade/dot-kubernetes-<REF>.json`;

await main(async () => {
  const { values, positionals } = parseCommandLine(
    USAGE,
    { commit: { type: "string" }, output: { type: "string" }, help: { type: "boolean", short: "h" } },
    true,
  );
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one argument, the git directory of dot-kubernetes\n\n${USAGE}`);
  const commit = values.commit ?? "83c2e26";
  const output = values.output ?? join(ROOT, "tests", "upgrade", `dot-kubernetes-${commit}.json`);
  const schemas = await obtainSchemas({
    configuration: loadPackage(PACKAGE_DIR).configuration,
    crossplaneVersion: loadPins().crossplane.version,
    cacheDir: join(CACHE_DIR, "crds"),
    log: (l) => process.stderr.write(l + "\n"),
  });
  const engine = await createEngine({ workers: 2 });
  try {
    const facts = await recordFacts(engine, {
      gitDir: positionals[0]!,
      commit,
      repository: "github.com/vfarcic/crossplane-kubernetes",
      casesDir: CASES_DIR,
      defaulter: crdDefaulter(schemas.crds),
    });
    writeFileAtomic(output, JSON.stringify(facts, null, 1) + "\n");
    const held = facts.asserts.filter((a) => a.oldPackage.length === 0).length;
    process.stderr.write(
      `${relative(process.cwd(), output)}: ${facts.states.length} states, ${facts.asserts.length} asserted resources (${held} hold on dot-kubernetes's own ` +
        `render), ${facts.notRenderable.length} case(s) it cannot render\n`,
    );
    for (const a of facts.asserts.filter((x) => x.oldPackage.length > 0))
      process.stderr.write(`  does not hold on the old package: ${a.id}: ${a.oldPackage.join("; ")}\n`);
    return 0;
  } finally {
    await engine.close();
  }
});
