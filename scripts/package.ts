import { relative } from "node:path";
import { main, parseCommandLine } from "./lib/cli.js";
import { ROOT } from "./lib/paths.js";
import { ensureGoTool } from "./lib/tools.js";
import { buildXpkg } from "./lib/xpkg/build.js";
import { resolveVersion, tagsAtHead } from "./lib/xpkg/version.js";

const USAGE = `usage: npm run package [-- --version X.Y.Z]

Builds dist/<name>-<version>.xpkg from package/ (and examples/) with the pinned crossplane CLI.
  --version X.Y.Z   the package version; without it, the release tag vX.Y.Z at HEAD is used`;

await main(async () => {
  const { values } = parseCommandLine(USAGE, { version: { type: "string" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const version = resolveVersion(values.version, values.version === undefined ? await tagsAtHead(ROOT) : []);
  const crossplane = await ensureGoTool("crossplane");
  const built = await buildXpkg({ root: ROOT, crossplane, version });
  process.stderr.write(
    `built ${relative(ROOT, built.file)} (${built.name} ${built.version.tag} from ${built.version.source}; ${built.objects} ` +
      `objects${built.examples ? " and examples" : ""}; ${built.bytes} bytes)\n`,
  );
  process.stdout.write(relative(ROOT, built.file) + "\n");
  return 0;
});
