/**
 * Generates the Crossplane package from the KCL sources. Pure with respect to the repository:
 * generatePackage returns the files; writePackage/checkPackage compare or write them.
 */
import { join } from "node:path";
import { createTwoFilesPatch } from "diff";
import { UserError } from "./errors.js";
import { readIfExists, writeFilesTogether } from "./fsutil.js";
import { KclError, type KclEngine } from "./kcl/engine.js";
import { ROOT, LAYOUT } from "./paths.js";
import { catalogueReadme, readCatalogue } from "./catalogue.js";
import { stepOrigin } from "./render/step-origin.js";

/** Each package file and the KCL source that produces it. */
export const PACKAGE_SOURCES: readonly { out: string; source: string }[] = [
  { out: "package/crossplane.yaml", source: "kcl/crossplane.k" },
  { out: "package/definition.yaml", source: "kcl/definition.k" },
  { out: "package/compositions.yaml", source: "kcl/compositions.k" },
];
export const PACKAGE_README = "package/README.md";

/**
 * Runs a KCL source file that defines `items`, the Kubernetes objects of one package file,
 * and returns them with KCL's own YAML stream for them (one document per item).
 */
export async function runItems(engine: KclEngine, source: string, root: string): Promise<{ items: Record<string, unknown>[]; yaml: string }> {
  const expected = `${source}: expected the program to define \`items\`, a non-empty list of Kubernetes objects; fix ${source} so that it does.`;
  let out;
  try {
    out = await engine.runYaml({ files: [source], workDir: root, selector: "items" });
  } catch (err) {
    // KCL reports a missing selected variable as "invalid path select operand".
    if (err instanceof KclError && /invalid path select/.test(err.kclMessage)) throw new UserError(expected, { cause: err });
    throw err;
  }
  const items = out.documents;
  if (items.length === 0 || items.some((i) => typeof i !== "object" || i === null || Array.isArray(i))) throw new UserError(expected);
  return { items: items as Record<string, unknown>[], yaml: out.yaml };
}

/**
 * Compiles the inline KCL source of every function-kcl step (input kind KCLRun) without
 * evaluating it (there is no XR at build time): a syntax error, an undefined name or a type
 * error fails the build at the source's own file and line (kcl/<file>.k when the step embeds a
 * file of kcl/), instead of reaching the package and failing only at render time.
 */
export async function compileStepSources(engine: KclEngine, compositions: readonly Record<string, unknown>[], root: string): Promise<void> {
  const sources = new Map<string, string>();
  for (const c of compositions) {
    if (c.kind !== "Composition") continue;
    const pipeline = (c.spec as { pipeline?: unknown } | undefined)?.pipeline;
    for (const step of Array.isArray(pipeline) ? pipeline : []) {
      const input = (step as { input?: { kind?: unknown; spec?: { source?: unknown } } }).input;
      const source = input?.spec?.source;
      if (input?.kind !== "KCLRun" || typeof source !== "string" || sources.has(source)) continue;
      const name = (c.metadata as { name?: unknown } | undefined)?.name;
      sources.set(source, stepOrigin(join(root, LAYOUT.package), source) ?? `composition ${String(name)} step ${String((step as { step?: unknown }).step)}`);
    }
  }
  await Promise.all([...sources].map(([code, filename]) => engine.run({ sources: [{ filename, code }], workDir: root, compileOnly: true })));
}

/** Generates every package file: path relative to root -> content. */
export async function generatePackage(engine: KclEngine, root: string = ROOT): Promise<Map<string, string>> {
  const results = await Promise.all([
    ...PACKAGE_SOURCES.map(async ({ out, source }) => {
      const { items, yaml } = await runItems(engine, source, root);
      if (out === "package/compositions.yaml") await compileStepSources(engine, items, root);
      return [out, `# Generated from ${source} by \`npm run build\`. Do not edit.\n${yaml.replace(/\n*$/, "\n")}`] as const;
    }),
    readCatalogue(engine, root).then((c) => [PACKAGE_README, catalogueReadme(c)] as const),
  ]);
  return new Map(results);
}

export interface Drift {
  path: string;
  patch: string;
}

/** Differences between generated files and what is on disk under root. */
export function diffAgainstDisk(files: ReadonlyMap<string, string>, root: string = ROOT): Drift[] {
  const drift: Drift[] = [];
  for (const [path, want] of files) {
    const have = readIfExists(join(root, path));
    if (have === want) continue;
    drift.push({
      path,
      patch: createTwoFilesPatch(`a/${path}`, `b/${path}`, have ?? "", want, have === undefined ? "(missing)" : "committed", "generated from kcl/"),
    });
  }
  return drift;
}

/** Writes the files under root together (all or none). Returns the paths that changed. */
export function writeGenerated(files: ReadonlyMap<string, string>, root: string = ROOT): string[] {
  const abs = new Map([...files].map(([p, c]) => [join(root, p), c]));
  return writeFilesTogether(abs).map((p) => p.slice(root.length + 1));
}
