/** Reads a Crossplane package directory: every YAML document, the XRDs and the Compositions. */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { createRequire } from "node:module";
import type { Node } from "yaml";
import { UserError } from "../errors.js";
import { displayPath } from "../paths.js";
import type { KubeObject, LoadedPackage } from "./types.js";
import { isObject } from "./yaml.js";
import { parseYamlDocuments } from "../yamlio.js";

/** The yaml package's syntax tree, needed only to locate a step's source in its file (on an error). */
let yamlModule: typeof import("yaml") | undefined;
const yamlLib = () => (yamlModule ??= createRequire(import.meta.url)("yaml") as typeof import("yaml"));

/** The text of each file a package was loaded from, to point error messages at lines. */
const packageTexts = new WeakMap<LoadedPackage, Map<string, string>>();

function yamlFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (e.name.startsWith(".") || e.name === "node_modules") continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...yamlFiles(p, base));
    else if (/\.ya?ml$/.test(e.name)) out.push(relative(base, p));
  }
  return out;
}

/** Parses every YAML file under dir. A file that is not YAML, or no Composition at all, is a UserError. */
export function loadPackage(dir: string): LoadedPackage {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    /* reported below */
  }
  if (!isDir) throw new UserError(`${displayPath(dir)}: no such package directory (pass --package DIR, a directory with the package's YAML files)`);
  const files = yamlFiles(dir).map((file) => ({ file, content: readFileSync(join(dir, file), "utf8") }));
  return loadPackageFromFiles(dir, files);
}

/** Like loadPackage, from file contents held in memory (paths relative to dir). */
export function loadPackageFromFiles(dir: string, files: readonly { file: string; content: string }[]): LoadedPackage {
  const pkg: LoadedPackage = { dir, xrds: [], compositions: [], documents: [] };
  const texts = new Map<string, string>();
  for (const { file, content } of files) {
    texts.set(file, content);
    for (const doc of parseYamlDocuments(content, displayPath(join(dir, file)))) {
      if (!isObject(doc) || typeof doc.apiVersion !== "string" || typeof doc.kind !== "string") continue;
      const object = doc as KubeObject;
      pkg.documents.push({ file, object });
      const group = object.apiVersion.split("/")[0];
      if (group === "apiextensions.crossplane.io" && object.kind === "Composition") pkg.compositions.push(object);
      else if (group === "apiextensions.crossplane.io" && object.kind === "CompositeResourceDefinition") pkg.xrds.push(object);
      else if (group === "meta.pkg.crossplane.io" && object.kind === "Configuration") pkg.configuration ??= object;
    }
  }
  if (pkg.compositions.length === 0) {
    throw new UserError(
      `${displayPath(dir)}: the package has no Composition (looked in ${files.length ? files.map((f) => f.file).join(", ") : "no YAML files"}); point ` +
        `--package at a Crossplane package directory`,
    );
  }
  packageTexts.set(pkg, texts);
  return pkg;
}

/** The file a package document came from (relative to the package dir). */
export function fileOf(pkg: LoadedPackage, object: KubeObject): string | undefined {
  return pkg.documents.find((d) => d.object === object)?.file;
}

/**
 * Where line:column of a composition step's inline KCL source is in the package file
 * (1-based, file relative to the package dir), or undefined when it cannot be found.
 */
export function locateStepSource(
  pkg: LoadedPackage,
  composition: string,
  step: string,
  line: number,
  column = 1,
): { file: string; line: number; column: number } | undefined {
  const comp = pkg.compositions.find((c) => c.metadata?.name === composition);
  const file = comp && fileOf(pkg, comp);
  const text = file !== undefined ? packageTexts.get(pkg)?.get(file) : undefined;
  if (!file || text === undefined) return undefined;
  const { LineCounter, parseAllDocuments } = yamlLib();
  const lineCounter = new LineCounter();
  for (const doc of parseAllDocuments(text, { lineCounter })) {
    if (!("contents" in doc)) continue;
    const root = doc.contents as Node | null;
    if (get(root, "kind") !== "Composition" || get(getNode(root, "metadata"), "name") !== composition) continue;
    const pipeline = getNode(getNode(root, "spec"), "pipeline");
    const items = (pipeline as { items?: Node[] } | undefined)?.items ?? [];
    for (const s of items) {
      if (get(s, "step") !== step) continue;
      const source = getNode(getNode(getNode(s, "input"), "spec"), "source");
      if (!yamlLib().isScalar(source) || !source.range) return undefined;
      // Only a literal block scalar (|) keeps the source's lines one to one.
      if (source.type !== "BLOCK_LITERAL" || typeof source.value !== "string") return undefined;
      const at = lineCounter.linePos(source.range[0]).line + line; // content starts on the line after "|"
      const fileLine = text.split("\n")[at - 1] ?? "";
      const sourceLine = source.value.split("\n")[line - 1] ?? "";
      const indent = fileLine.length - fileLine.trimStart().length - (sourceLine.length - sourceLine.trimStart().length);
      return { file, line: at, column: column + Math.max(0, indent) };
    }
  }
  return undefined;
}

function getNode(node: unknown, key: string): Node | undefined {
  const { isMap, isPair, isScalar } = yamlLib();
  if (!isMap(node)) return undefined;
  for (const pair of node.items) if (isPair(pair) && isScalar(pair.key) && pair.key.value === key) return pair.value as Node;
  return undefined;
}

function get(node: unknown, key: string): unknown {
  const v = getNode(node, key);
  return yamlLib().isScalar(v) ? v.value : undefined;
}
