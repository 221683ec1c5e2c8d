import { readFileSync } from "node:fs";
import { join } from "node:path";
import { main, parseCommandLine } from "./lib/cli.js";
import { writeFileAtomic } from "./lib/fsutil.js";
import { ROOT } from "./lib/paths.js";
import { APPS_FILE } from "./lib/bump/kclfile.js";
import { releaseChangelog } from "./lib/xpkg/changelog.js";
import { resolveVersion, tagsAtHead } from "./lib/xpkg/version.js";

const USAGE = `usage: node scripts/run.mjs changelog [--version X.Y.Z] [--output FILE]

Prints release notes (Markdown): the chart pins of ${APPS_FILE} changed since the previous
release tag vX.Y.Z reachable from HEAD. The version is resolved as for \`npm run package\`.
  --output FILE   write the notes to FILE instead of standard output`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, { version: { type: "string" }, output: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const version = resolveVersion(values.version, values.version === undefined ? await tagsAtHead(ROOT) : []);
  const notes = await releaseChangelog(ROOT, version.tag, readFileSync(join(ROOT, APPS_FILE), "utf8"));
  if (values.output) writeFileAtomic(values.output, notes.markdown);
  else process.stdout.write(notes.markdown);
  process.stderr.write(`${notes.changes.length} chart pin change(s) since ${notes.previousTag ?? "the start (no earlier release tag)"}\n`);
  return 0;
});
