/**
 * What a package file must hold, compared with the package directory it was built from.
 *
 * `crossplane xpkg build` (crank v2.2) does not copy the YAML files: it reads every non-empty
 * .yaml/.yml file under the package root (lexical path order, recursively; other files such as
 * README.md are skipped), decodes each document into Crossplane's Go types and encodes it again
 * into one stream, package.yaml: the meta object (crossplane.yaml) first, then every other
 * object in file order. The encoding keeps every value but not comments, key order or quoting,
 * and it writes zero values of fields the Go types always serialise (an XRD gains
 * `status.controllers` with empty type references). A field the Go types do not know is
 * dropped silently: comparing the decoded stream with the sources catches that.
 *
 * The examples layer (.up/examples.yaml) is a byte copy of the example files, each followed by
 * "\n...\n\n---\n".
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, relative } from "node:path";
import { UserError } from "../errors.js";
import { displayPath } from "../paths.js";
import { parseYamlDocuments, readYamlFile } from "../yamlio.js";

export interface SourceDocument {
  /** Path relative to the package root. */
  file: string;
  /** 0-based document index in the file. */
  index: number;
  object: Record<string, unknown>;
}

export interface PackageSources {
  meta: SourceDocument;
  objects: SourceDocument[];
}

/** YAML files below dir in the order crank walks them. */
export function yamlFilesInWalkOrder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if ((extname(name) === ".yaml" || extname(name) === ".yml") && st.size > 0) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The objects of a package file; bad YAML or a document that is not a mapping is a UserError naming the file. */
export function parseYamlFile(path: string, displayName: string): Record<string, unknown>[] {
  return readYamlFile(path, { display: displayName, maxAliasCount: -1 }).map((value, i) => {
    if (typeof value !== "object" || Array.isArray(value)) {
      throw new UserError(`${displayName}: document ${i + 1} is not a mapping (a Kubernetes object); a package file holds objects only`);
    }
    return value as Record<string, unknown>;
  });
}

const isMeta = (o: Record<string, unknown>) => typeof o.apiVersion === "string" && o.apiVersion.startsWith("meta.pkg.crossplane.io/");

/** Reads the package directory the way crank does. Throws a UserError when it has not exactly one meta object. */
export function readPackageSources(packageDir: string): PackageSources {
  const metas: SourceDocument[] = [];
  const objects: SourceDocument[] = [];
  for (const path of yamlFilesInWalkOrder(packageDir)) {
    const file = relative(packageDir, path);
    parseYamlFile(path, displayPath(path)).forEach((object, index) => (isMeta(object) ? metas : objects).push({ file, index, object }));
  }
  if (metas.length !== 1)
    throw new UserError(`${displayPath(packageDir)}: expected exactly one meta.pkg.crossplane.io object (crossplane.yaml), found ${metas.length}`);
  return { meta: metas[0]!, objects };
}

function isZero(value: unknown): boolean {
  if (value === null || value === undefined || value === "" || value === false || value === 0) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === "object") return Object.values(value as Record<string, unknown>).every(isZero);
  return false;
}

/** Differences between a source object and its packaged form, ignoring zero values only one side has. */
export function objectDifferences(source: unknown, packaged: unknown, path = ""): string[] {
  const here = path || "(root)";
  if (Array.isArray(source) || Array.isArray(packaged)) {
    if (!Array.isArray(source) || !Array.isArray(packaged)) return [`${here}: ${JSON.stringify(source)} became ${JSON.stringify(packaged)}`];
    if (source.length !== packaged.length) return [`${here}: ${source.length} items became ${packaged.length}`];
    return source.flatMap((item, i) => objectDifferences(item, packaged[i], `${path}[${i}]`));
  }
  if (source && packaged && typeof source === "object" && typeof packaged === "object") {
    const s = source as Record<string, unknown>;
    const p = packaged as Record<string, unknown>;
    const out: string[] = [];
    for (const key of new Set([...Object.keys(s), ...Object.keys(p)])) {
      const sub = path ? `${path}.${key}` : key;
      if (!(key in p)) {
        if (!isZero(s[key])) out.push(`${sub}: dropped from the package (a field Crossplane's types do not know?)`);
      } else if (!(key in s)) {
        if (!isZero(p[key])) out.push(`${sub}: added by the package build (${JSON.stringify(p[key]).slice(0, 80)})`);
      } else out.push(...objectDifferences(s[key], p[key], sub));
    }
    return out;
  }
  if (source !== packaged) return [`${here}: ${JSON.stringify(source)?.slice(0, 80)} became ${JSON.stringify(packaged)?.slice(0, 80)}`];
  return [];
}

const describe = (o: Record<string, unknown>) => `${String(o.kind)} ${String((o.metadata as { name?: unknown } | undefined)?.name ?? "(unnamed)")}`;

/**
 * Compares package.yaml from a package layer with the package sources. Returns problems, each
 * naming the source file and object; an empty list means the layer holds exactly the sources.
 */
export function comparePackageStream(stream: string, sources: PackageSources): string[] {
  let packaged: Record<string, unknown>[];
  try {
    packaged = parseYamlDocuments(stream, "package.yaml in the package layer", { maxAliasCount: -1 }).filter(
      (v): v is Record<string, unknown> => typeof v === "object",
    );
  } catch (err) {
    if (err instanceof UserError) return [err.message];
    throw err;
  }
  const expected = [sources.meta, ...sources.objects];
  const problems: string[] = [];
  if (packaged.length !== expected.length) {
    problems.push(
      `the package layer holds ${packaged.length} objects, the package directory ${expected.length} ` +
        `(${expected.map((e) => `${e.file}: ${describe(e.object)}`).join(", ")})`,
    );
  }
  expected.forEach((src, i) => {
    const got = packaged[i];
    const where = `${src.file} (document ${src.index + 1}, ${describe(src.object)})`;
    if (!got) return;
    if (got.apiVersion !== src.object.apiVersion || got.kind !== src.object.kind) {
      problems.push(`${where}: the package layer has ${String(got.apiVersion)} ${describe(got)} in its place`);
      return;
    }
    for (const d of objectDifferences(src.object, got)) problems.push(`${where}: ${d}`);
  });
  return problems;
}

/** The examples layer must be the example files, byte for byte, in walk order. */
export function compareExamplesStream(stream: string | undefined, examplesDir: string | undefined): string[] {
  const files = examplesDir ? yamlFilesInWalkOrder(examplesDir) : [];
  if (files.length === 0) return stream === undefined ? [] : ["the package has an examples layer but there are no example files"];
  if (stream === undefined) return [`the package has no examples layer although ${files.length} example files exist`];
  const expected = files.map((f) => readFileSync(f, "utf8") + "\n...\n\n---\n").join("");
  return stream === expected ? [] : ["the examples layer differs from the example files"];
}
