import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";

const USAGE = `usage: npm run bench [-- SECTION…]

Runs the benchmarks under scripts/bench/ (all, or the named sections) and prints medians and ratios
against baselines measured in the same run.`;

await main(async () => {
  const { positionals, values } = parseCommandLine(USAGE, { help: { type: "boolean", short: "h" } }, true);
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const dir = join(dirname(fileURLToPath(import.meta.url)), "bench");
  const sections = readdirSync(dir)
    .filter((f) => f.endsWith(".js"))
    .map((f) => f.slice(0, -3))
    .sort();
  const unknown = positionals.filter((p) => !sections.includes(p));
  if (unknown.length) throw new UsageError(`unknown section ${unknown.join(", ")}; sections: ${sections.join(", ")}`);
  for (const name of positionals.length ? positionals : sections) {
    const mod = (await import(pathToFileURL(join(dir, name + ".js")).href)) as { default: () => Promise<string[]> };
    process.stdout.write(`== ${name}\n`);
    for (const line of await mod.default()) process.stdout.write(line + "\n");
  }
  return 0;
});
