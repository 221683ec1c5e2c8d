/**
 * Generates the Crossplane package from the KCL sources. Pure with respect to the repository:
 * generatePackage returns the files; writePackage/checkPackage compare or write them.
 */
import { join } from "node:path";
import { createTwoFilesPatch } from "diff";
import { UserError } from "./errors.js";
import { readIfExists, writeFilesTogether } from "./fsutil.js";
import type { KclEngine } from "./kcl/engine.js";
import { ROOT } from "./paths.js";
import { catalogueReadme, readCatalogue } from "./catalogue.js";
import { toYamlStream } from "./yamlio.js";

/** Each package file and the KCL source that produces it. */
export const PACKAGE_SOURCES: readonly { out: string; source: string }[] = [
  { out: "package/crossplane.yaml", source: "kcl/crossplane.k" },
  { out: "package/definition.yaml", source: "kcl/definition.k" },
  { out: "package/compositions.yaml", source: "kcl/compositions.k" },
];
export const PACKAGE_README = "package/README.md";

/** Runs a KCL source file and returns its `items`, the Kubernetes objects it defines. */
export async function runItems(engine: KclEngine, source: string, root: string, options?: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const docs = await engine.run({ files: [source], workDir: root, options });
  const items = docs.length === 1 ? (docs[0] as { items?: unknown } | null)?.items : undefined;
  if (!Array.isArray(items) || items.some((i) => typeof i !== "object" || i === null || Array.isArray(i))) {
    throw new UserError(`${source}: expected the program to define \`items\`, a list of Kubernetes objects; fix ${source} so that it does.`);
  }
  return items as Record<string, unknown>[];
}

/** Generates every package file: path relative to root -> content. */
export async function generatePackage(engine: KclEngine, root: string = ROOT): Promise<Map<string, string>> {
  const results = await Promise.all([
    ...PACKAGE_SOURCES.map(async ({ out, source }) => {
      const items = await runItems(engine, source, root);
      return [out, toYamlStream(items, `Generated from ${source} by \`npm run build\`. Do not edit.`)] as const;
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
    drift.push({ path, patch: createTwoFilesPatch(`a/${path}`, `b/${path}`, have ?? "", want, have === undefined ? "(missing)" : "committed", "generated from kcl/") });
  }
  return drift;
}

/** Writes the files under root together (all or none). Returns the paths that changed. */
export function writeGenerated(files: ReadonlyMap<string, string>, root: string = ROOT): string[] {
  const abs = new Map([...files].map(([p, c]) => [join(root, p), c]));
  return writeFilesTogether(abs).map((p) => p.slice(root.length + 1));
}
