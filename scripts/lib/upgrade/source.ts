/**
 * Where the old package comes from: a package directory, a git ref of this repository (its
 * package/ folder, read with git, nothing checked out), or an OCI package reference pulled
 * from a registry. Read only; nothing is written.
 */
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../errors.js";
import { loadPackage, loadPackageFromFiles } from "../render/package.js";
import type { LoadedPackage } from "../render/types.js";
import { readTar, TarError } from "../xpkg/tar.js";
import { NotAPackageError, parsePackageReference, pullPackage, type PullOptions } from "./registry.js";
import { LAYOUT } from "../paths.js";

export interface OldPackage {
  pkg: LoadedPackage;
  kind: "directory" | "git" | "oci";
  /** For messages: the directory, "<ref> (<commit>)" or the registry location read. */
  description: string;
}

export interface ResolveOptions extends PullOptions {
  /** The repository whose refs are read (default: the working directory's repository). */
  repoDir: string;
  /** The folder of the package inside the repository. */
  packagePath?: string;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function git(repoDir: string, args: string[]): Buffer {
  return execFileSync("git", ["-C", repoDir, ...args], { stdio: ["ignore", "pipe", "pipe"], maxBuffer: 256 * 1024 * 1024 });
}

function gitError(err: unknown): string {
  const stderr = String((err as { stderr?: Buffer }).stderr ?? "")
    .trim()
    .split("\n")[0];
  return stderr || (err as Error).message;
}

/** The package folder of a commit, from `git archive` (in memory). */
function packageAtRef(ref: string, options: ResolveOptions): OldPackage | string {
  const path = options.packagePath ?? "package";
  let commit: string;
  try {
    commit = git(options.repoDir, ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`])
      .toString()
      .trim();
  } catch (err) {
    const code = (err as { status?: number }).status;
    if (code === 1) return `not a git ref of the repository at ${options.repoDir}`;
    return `not a git ref (${gitError(err)})`;
  }
  let archive: Buffer;
  try {
    archive = git(options.repoDir, ["archive", "--format=tar", commit, "--", path]);
  } catch (err) {
    return `git ref ${ref} (${commit.slice(0, 12)}) has no ${path}/ folder (${gitError(err)})`;
  }
  let entries;
  try {
    entries = readTar(archive);
  } catch (err) {
    if (err instanceof TarError) return `git archive of ${ref} is unreadable: ${err.message}`;
    throw err;
  }
  const prefix = path.replace(/\/+$/, "") + "/";
  const files = entries
    .filter((e) => e.type === "file" && e.name.startsWith(prefix) && /\.ya?ml$/.test(e.name) && !e.name.split("/").some((p) => p.startsWith(".")))
    .map((e) => ({ file: e.name.slice(prefix.length), content: e.data.toString("utf8") }))
    .sort((a, b) => (a.file < b.file ? -1 : 1));
  const pkg = loadPackageFromFiles(`${ref}:${path}`, files);
  return { pkg, kind: "git", description: `${ref} (${commit.slice(0, 12)})` };
}

/**
 * Resolves --from: a directory (the package folder, or a checkout with a package/ folder), else
 * a git ref, else an OCI package reference. When none works, one error says what each try found.
 */
export async function resolveOldPackage(from: string, options: ResolveOptions): Promise<OldPackage> {
  if (from.trim() === "") throw new UserError("--from is empty: pass a git ref (v1.2.0, HEAD~3), a package directory or an OCI package reference");
  const tried: string[] = [];
  if (isDirectory(from)) {
    try {
      return { pkg: loadPackage(from), kind: "directory", description: from };
    } catch (err) {
      // A checkout: its package/ folder.
      if (!(err instanceof UserError) || !isDirectory(join(from, LAYOUT.package))) throw err;
      const dir = join(from, LAYOUT.package);
      return { pkg: loadPackage(dir), kind: "directory", description: dir };
    }
  }
  tried.push(`a directory: ${existsSync(from) ? "it is a file, not a directory" : "no such directory"}`);

  const ociRef = parsePackageReference(from);
  if (!ociRef || !from.startsWith("oci://")) {
    const atRef = packageAtRef(from, options);
    if (typeof atRef !== "string") return atRef;
    tried.push(`a git ref: ${atRef}`);
  }
  if (!ociRef) {
    tried.push("an OCI package reference: not shaped like one (expected registry/repository:tag, registry/repository@sha256:…, or oci://…)");
    throw new UserError(`--from ${from}: cannot find the old package. Tried it as\n  - ${tried.join("\n  - ")}`);
  }
  try {
    const pulled = await pullPackage(ociRef, options);
    const pkg = loadPackageFromFiles(from, [{ file: "package.yaml", content: pulled.stream }]);
    return { pkg, kind: "oci", description: pulled.location };
  } catch (err) {
    if (err instanceof NotAPackageError) throw err;
    if (!(err instanceof UserError)) throw err;
    tried.push(`an OCI package reference: ${err.message}`);
    throw new UserError(`--from ${from}: cannot find the old package. Tried it as\n  - ${tried.join("\n  - ")}`);
  }
}
