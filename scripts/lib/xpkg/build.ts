/**
 * Builds the Crossplane package file with the real crossplane CLI and checks what it wrote.
 * The file appears in dist/ only complete and checked: crank writes a temp file beside it,
 * the temp file is opened and compared with package/ (and examples/), then renamed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { execa } from "execa";
import { environmentError, UserError } from "../errors.js";
import { readXpkg, packageStream, examplesStream, XpkgFormatError } from "./archive.js";
import { compareExamplesStream, comparePackageStream, readPackageSources } from "./contents.js";
import type { ResolvedVersion } from "./version.js";
import { LAYOUT } from "../paths.js";

export interface BuildOptions {
  root: string;
  /** Absolute path of the crossplane CLI. */
  crossplane: string;
  version: ResolvedVersion;
  /** Defaults: <root>/package, <root>/examples (included when it exists), <root>/dist. */
  packageDir?: string;
  examplesDir?: string;
  distDir?: string;
}

export interface BuildResult {
  /** Absolute path of the .xpkg. */
  file: string;
  name: string;
  version: ResolvedVersion;
  /** Number of objects besides the meta object. */
  objects: number;
  examples: boolean;
  bytes: number;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export async function buildXpkg(options: BuildOptions): Promise<BuildResult> {
  const root = options.root;
  const packageDir = resolve(options.packageDir ?? join(root, LAYOUT.package));
  const examplesDir = resolve(options.examplesDir ?? join(root, "examples"));
  const distDir = resolve(options.distDir ?? join(root, "dist"));
  const show = (p: string) => relative(root, p) || ".";

  if (!existsSync(join(packageDir, "crossplane.yaml"))) {
    throw new UserError(`${show(packageDir)}/crossplane.yaml does not exist: run \`npm run build\` to generate the package first.`);
  }
  let sources;
  try {
    sources = readPackageSources(packageDir);
  } catch (err) {
    if (err instanceof UserError) throw new UserError(`cannot read the package: ${err.message}`, { cause: err });
    throw err;
  }
  const name = (sources.meta.object.metadata as { name?: unknown } | undefined)?.name;
  if (typeof name !== "string" || !NAME.test(name)) {
    throw new UserError(
      `${show(packageDir)}/${sources.meta.file}: metadata.name must be a DNS label (lower-case letters, digits, '-'), found ${JSON.stringify(name)}`,
    );
  }
  const withExamples = existsSync(examplesDir) && statSync(examplesDir).isDirectory();

  if (existsSync(distDir) && !statSync(distDir).isDirectory()) {
    throw new UserError(
      `${show(distDir)} exists and is not a directory: the package is written to ${show(distDir)}/<name>-<version>.xpkg; move or remove the file ` +
        `${show(distDir)}.`,
    );
  }
  const file = join(distDir, `${name}-${options.version.version}.xpkg`);
  const tmp = join(distDir, `.${name}-${options.version.version}.xpkg.${process.pid}.tmp`);
  // Whether dist/ takes the file is checked before crank runs, so that a failure there is not
  // mistaken for a problem of the package.
  try {
    mkdirSync(distDir, { recursive: true });
    writeFileSync(tmp, "");
  } catch (err) {
    const e = environmentError(err, `cannot write the package file to ${show(distDir)}/`);
    throw e ?? err;
  }
  try {
    const args = ["xpkg", "build", "--package-root", packageDir, "--package-file", tmp];
    // crank reads ./examples of the working directory unless told otherwise; name it explicitly,
    // or point at a folder that does not exist to build without examples.
    args.push("--examples-root", withExamples ? examplesDir : join(distDir, ".no-examples"));
    const r = await execa(options.crossplane, args, { cwd: root, reject: false, all: true });
    if (r.exitCode !== 0) {
      throw new UserError(
        `crossplane xpkg build failed (exit ${r.exitCode}):\n${String(r.all ?? "").trim()}\nFix the package under ${show(packageDir)}/ (regenerate it with ` +
          `\`npm run build\`) and try again.`,
      );
    }
    const bytes = readFileSync(tmp);
    let problems: string[];
    try {
      const image = readXpkg(bytes);
      problems = [
        ...comparePackageStream(packageStream(image), sources),
        ...compareExamplesStream(examplesStream(image), withExamples ? examplesDir : undefined),
      ];
    } catch (err) {
      if (err instanceof XpkgFormatError) problems = [err.message];
      else throw err;
    }
    if (problems.length > 0) {
      throw new UserError(
        `the package crossplane built does not hold ${show(packageDir)}/ as it is:\n  ${problems.join("\n  ")}\nNothing was written to ${show(distDir)}/.`,
      );
    }
    renameSync(tmp, file);
    return { file, name, version: options.version, objects: sources.objects.length, examples: withExamples, bytes: bytes.length };
  } finally {
    rmSync(tmp, { force: true });
  }
}
