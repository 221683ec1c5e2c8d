/**
 * The package version comes from one place: the --version argument, or else the release tag
 * vX.Y.Z at HEAD. It must be semver; OCI tags cannot hold build metadata (+…), so that is refused too.
 */
import { execa } from "execa";
import semver from "semver";
import { UsageError, UserError } from "../errors.js";

export interface ResolvedVersion {
  /** X.Y.Z[-pre] without the leading v (file names). */
  version: string;
  /** vX.Y.Z[-pre] (the package tag, as Crossplane packages are tagged). */
  tag: string;
  /** Where it came from, for messages. */
  source: string;
}

const MAX_TAG = 128;
const TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;

/** Checks a version given by a person: X.Y.Z or vX.Y.Z, optionally with a prerelease. */
export function parseVersion(input: string, source: string): ResolvedVersion {
  const text = input.trim();
  const tag = text.startsWith("v") ? text : `v${text}`;
  if (!TAG.test(tag) || semver.valid(tag.slice(1)) === null) {
    const why = text.includes("+") ? " (build metadata after '+' cannot be part of an OCI tag)" : "";
    throw new UsageError(`${source}: ${JSON.stringify(input)} is not a semantic version${why}; expected X.Y.Z or vX.Y.Z, e.g. 1.2.0 or 1.2.0-rc.1`);
  }
  // The distribution spec allows 128 characters in a tag, and the version is part of a file name.
  if (tag.length > MAX_TAG)
    throw new UserError(
      `${source}: the version is ${tag.length} characters long as a tag (${tag.slice(0, 20)}…); ` +
        `an OCI tag holds at most ${MAX_TAG}, use a shorter prerelease`,
    );
  return { version: tag.slice(1), tag, source };
}

/** Picks the version: the argument when given, else the single vX.Y.Z tag among the tags at HEAD. */
export function resolveVersion(argument: string | undefined, tagsAtHead: readonly string[]): ResolvedVersion {
  if (argument !== undefined) return parseVersion(argument, "--version");
  const releaseTags = tagsAtHead.filter((t) => TAG.test(t));
  if (releaseTags.length === 1) return parseVersion(releaseTags[0]!, `git tag ${releaseTags[0]!} at HEAD`);
  if (releaseTags.length > 1) {
    throw new UsageError(`HEAD carries several release tags (${releaseTags.join(", ")}); pass the one to build with --version X.Y.Z`);
  }
  const others = tagsAtHead.length ? ` (tags at HEAD: ${tagsAtHead.join(", ")}; none is vX.Y.Z)` : "";
  throw new UsageError(`no package version: pass --version X.Y.Z, or build from a commit tagged vX.Y.Z${others}`);
}

/** Tags pointing at HEAD; empty outside a git work tree. */
export async function tagsAtHead(root: string): Promise<string[]> {
  const r = await execa("git", ["tag", "--points-at", "HEAD"], { cwd: root, reject: false });
  if (r.exitCode !== 0) {
    if (/not a git repository/i.test(String(r.stderr))) return [];
    throw new UserError(`git tag --points-at HEAD failed in ${root}: ${String(r.stderr).trim()}`);
  }
  return String(r.stdout)
    .split("\n")
    .map((t) => t.trim())
    .filter(Boolean)
    .sort();
}
