/**
 * Version policy on npm semver: which registry tags are versions, which version a range picks,
 * and how the chosen version is written (the pin's own tag style). Pure functions only.
 */
import semver from "semver";
import { WRITABLE_VERSION } from "./kclfile.js";

export interface AvailableVersion {
  /** Plain semver, build metadata with '+' (1.2.3, 1.2.3-rc.1, 1.2.3+build.1). */
  version: string;
  /** The forms the registry lists it under, '_' already read as '+' (v1.2.3 and 1.2.3 for twins). */
  tags: string[];
}

export interface VersionSet {
  /** Newest first. */
  versions: AvailableVersion[];
  /** Tags that are not plain semver (latest, sha-…, anything with quotes or spaces). */
  nonSemver: string[];
  /** Development builds: 0.0.0-latest, 0.0.0-<sha>, v0.0.0-latest. */
  dev: string[];
}

/** A development tag: 0.0.0 with a prerelease (0.0.0-latest, 0.0.0-<sha>). */
export function isDevVersion(version: string): boolean {
  const v = semver.parse(version);
  return v !== null && isDev(v);
}

const isDev = (v: semver.SemVer) => v.major === 0 && v.minor === 0 && v.patch === 0 && v.prerelease.length > 0;

/**
 * Reads raw tags or index versions. `oci`: Helm stores '+' as '_' in OCI tags, so '_' is read
 * as '+'. Anything that is not strictly `v?MAJOR.MINOR.PATCH[-pre][+build]` is set aside.
 */
export function collectVersions(raw: readonly string[], options: { oci: boolean }): VersionSet {
  // Each tag is parsed once; the sort compares the parsed versions (a registry lists thousands).
  const byVersion = new Map<string, { entry: AvailableVersion; parsed: semver.SemVer }>();
  const nonSemver: string[] = [];
  const dev: string[] = [];
  for (const tag of raw) {
    const form = options.oci ? tag.replace(/_/g, "+") : tag;
    const parsed = WRITABLE_VERSION.test(form) ? semver.parse(form) : null;
    if (!parsed) {
      nonSemver.push(tag);
      continue;
    }
    if (isDev(parsed)) {
      dev.push(tag);
      continue;
    }
    const version = parsed.build.length ? `${parsed.version}+${parsed.build.join(".")}` : parsed.version;
    const known = byVersion.get(version);
    if (known) {
      if (!known.entry.tags.includes(form)) known.entry.tags.push(form);
    } else byVersion.set(version, { entry: { version, tags: [form] }, parsed });
  }
  // Newest first (semver precedence, which ignores build metadata; then the text, for a stable order).
  const versions = [...byVersion.values()]
    .sort((a, b) => b.parsed.compare(a.parsed) || (a.entry.version < b.entry.version ? 1 : a.entry.version > b.entry.version ? -1 : 0))
    .map((v) => v.entry);
  for (const v of versions) v.tags.sort();
  return { versions, nonSemver, dev };
}

/** Versions present in every set (a pin that moves several charts at once needs them all). */
export function intersectVersions(sets: readonly VersionSet[]): AvailableVersion[] {
  const [first, ...rest] = sets;
  if (!first) return [];
  return first.versions.flatMap((v) => {
    const others = rest.map((s) => s.versions.find((o) => o.version === v.version));
    if (others.some((o) => o === undefined)) return [];
    const common = v.tags.filter((t) => others.every((o) => o!.tags.includes(t)));
    return [{ version: v.version, tags: common.length ? common : v.tags }];
  });
}

/** The argument as an npm semver range, or undefined when it is not one ("banana"). */
export function parseRange(arg: string): string | undefined {
  const trimmed = arg.trim();
  if (trimmed === "" || /[\n\r"'`]/.test(trimmed)) return undefined;
  return semver.validRange(trimmed) === null ? undefined : trimmed;
}

/** The newest version the range allows; prereleases only with `pre` (or when the range names one). */
export function selectVersion(available: readonly AvailableVersion[], range: string, options: { pre: boolean }): AvailableVersion | undefined {
  return available.find((v) => semver.satisfies(v.version, range, { includePrerelease: options.pre }));
}

/** The newest versions, for "nothing matches" messages: stable ones unless `pre`. */
export function newestVersions(available: readonly AvailableVersion[], count: number, options: { pre: boolean }): string[] {
  return available
    .filter((v) => options.pre || semver.prerelease(v.version) === null)
    .slice(0, count)
    .map((v) => v.version);
}

export function compareVersions(a: string, b: string): number {
  return semver.compare(a.replace(/^v/, ""), b.replace(/^v/, ""));
}

/**
 * The literal to write for `chosen`, in the style of `current` (with or without a leading v)
 * when the registry has that form; otherwise the form the registry has.
 */
export function formatLike(current: string, chosen: AvailableVersion): { value: string; styleKept: boolean } {
  const wantV = current.startsWith("v");
  const wanted = (wantV ? "v" : "") + chosen.version;
  if (chosen.tags.includes(wanted)) return { value: wanted, styleKept: true };
  const fallback = chosen.tags.find((t) => t.startsWith("v") === wantV) ?? chosen.tags[0] ?? wanted;
  return { value: fallback, styleKept: fallback.startsWith("v") === wantV };
}
