import { main, parseCommandLine } from "./lib/cli.js";
import { diffAgainstDisk, generatePackage, writeGenerated } from "./lib/build.js";
import { interruptedBumpNotice } from "./lib/bump/journal.js";
import { withEngine } from "./lib/kcl/index.js";
import { ROOT } from "./lib/paths.js";

const USAGE = `usage: npm run build [-- --check]

Regenerates package/ from kcl/.
  --check   write nothing; exit 1 with a unified diff when package/ differs from what kcl/ produces`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, { check: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const interrupted = interruptedBumpNotice(ROOT);
  if (interrupted && values.check) {
    process.stderr.write(`error: ${interrupted}\n`);
    return 1;
  }
  if (interrupted) process.stderr.write(`warning: ${interrupted}\n`);
  const files = await withEngine((engine) => generatePackage(engine));
  if (values.check) {
    const drift = diffAgainstDisk(files);
    for (const d of drift) process.stdout.write(d.patch);
    if (drift.length > 0) {
      process.stderr.write(`package/ is out of date with kcl/ (${drift.map((d) => d.path).join(", ")}): run \`npm run build\` and commit the result.\n`);
      return 1;
    }
    process.stderr.write("package/ matches kcl/\n");
    return 0;
  }
  const changed = writeGenerated(files);
  process.stderr.write(changed.length ? `wrote ${changed.join(", ")}\n` : "package/ is up to date\n");
  return 0;
});
