import { main, parseCommandLine } from "./lib/cli.js";
import { UsageError } from "./lib/errors.js";
import { PACKAGE_DIR } from "./lib/paths.js";
import { renderFile, type EngineName } from "./lib/render-command.js";

const USAGE = `usage: npm run render -- <xr.yaml> [--composition NAME] [--observed FILE] [--package DIR] [--engine local|crossplane]

Prints what the package composes for the composite resource in <xr.yaml>, as \`crossplane render\` prints it:
the XR with its status, then every composed resource sorted by composition resource name.
  --composition NAME  use this composition instead of selecting one (compositionRef, selector labels, XRD default)
  --observed FILE     observed composed resources (YAML stream, each with annotation crossplane.io/composition-resource-name)
  --package DIR       the Crossplane package directory (default package/)
  --engine ENGINE     local (default): function-kcl and function-auto-ready steps run in process;
                      crossplane: the real crossplane render (crank) with the real function-auto-ready and a
                      stand-in for function-kcl over the same KCL engine`;

await main(async () => {
  const { values, positionals } = parseCommandLine(
    USAGE,
    {
      composition: { type: "string" },
      observed: { type: "string" },
      package: { type: "string" },
      engine: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    true,
  );
  if (values.help) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one XR file, got ${positionals.length}\n\n${USAGE}`);
  const engine = values.engine ?? "local";
  if (engine !== "local" && engine !== "crossplane") throw new UsageError(`--engine must be local or crossplane, not ${engine}\n\n${USAGE}`);
  const out = await renderFile({
    xrFile: positionals[0]!,
    packageDir: values.package ?? PACKAGE_DIR,
    engine: engine as EngineName,
    ...(values.composition ? { composition: values.composition } : {}),
    ...(values.observed ? { observedFile: values.observed } : {}),
  });
  process.stdout.write(out);
  return 0;
});
