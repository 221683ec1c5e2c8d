import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError, UserError } from "./lib/errors.js";
import { committedVersions, ensureValidator } from "./lib/envoy-gateway/validator.js";
import { ensureGoTool, ensureKcl, loadPins, systemProblems, type GoToolName } from "./lib/tools.js";

const USAGE = `usage: npm run tools [-- NAME…] [--list]

Installs the pinned tools of tools.json into .tools/ (all of them when no NAME is given, after
checking that Go, Python with pip and git are there).
  --list   print each tool, its pinned version and where it comes from`;

await main(async () => {
  const { values, positionals } = parseCommandLine(
    USAGE,
    { list: { type: "boolean" }, "compile-only": { type: "boolean" }, help: { type: "boolean", short: "h" } },
    true,
  );
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (values["compile-only"]) return 0; // scripts/run.mjs compiled scripts/ on the way here
  const pins = loadPins();
  if (values.list) {
    for (const [name, pin] of Object.entries(pins)) {
      if (name.startsWith("$")) continue;
      const p = pin as { version: string; module?: string; dir?: string; package: string; source: string };
      const from = p.source === "go" ? `${p.module} ${p.package}` : p.source === "go-local" ? `${p.dir} (this repository) ${p.package}` : `PyPI ${p.package}`;
      process.stdout.write(`${name.padEnd(20)} ${p.version.padEnd(10)} ${from}\n`);
    }
    return 0;
  }
  const names = positionals.length ? positionals : Object.keys(pins).filter((n) => !n.startsWith("$"));
  if (!positionals.length) {
    const problems = await systemProblems();
    if (problems.length) throw new UserError(`the toolchain cannot be installed on this machine:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  }
  for (const name of names) {
    if (!(name in pins) || name.startsWith("$"))
      throw new UsageError(
        `unknown tool ${name}; known: ${Object.keys(pins)
          .filter((n) => !n.startsWith("$"))
          .join(", ")}`,
      );
    if (name === "eg-validate") {
      // One build per Envoy Gateway version with committed module files (tools/eg-validate/versions/).
      for (const version of committedVersions())
        process.stdout.write(`${name} ${version}: ${await ensureValidator(version, (l) => process.stderr.write(l + "\n"))}\n`);
    } else if (name === "kcl") {
      const rt = await ensureKcl();
      process.stdout.write(`kcl: ${rt.kind === "cli" ? `CLI ${rt.version} at ${rt.bin}` : `kcl-lib ${rt.version} in ${rt.libDir}`}\n`);
    } else {
      process.stdout.write(`${name}: ${await ensureGoTool(name as GoToolName)}\n`);
    }
  }
  return 0;
});
