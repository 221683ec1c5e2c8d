/**
 * tools/eg-validate built per Envoy Gateway version: the Go sources of tools/eg-validate/ with the
 * module files of tools/eg-validate/versions/<version>/ (committed, complete go.sum) are put
 * together in .cache/eg-validate/<version>/ and built by the toolchain installer into
 * .tools/bin/eg-validate-<version>, rebuilt only when any of those files change. A version
 * without committed module files (a bump to a new release) gets them from `go mod tidy`.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { readIfExists, writeFileAtomic } from "../fsutil.js";
import { CACHE_DIR, ROOT } from "../paths.js";
import { ensureGoBuild, loadPins, type Log } from "../tools.js";
import { ENVOY_GATEWAY_MODULE, moduleDir, Unavailable } from "./module.js";

export const VALIDATOR_SOURCE = join(ROOT, "tools", "eg-validate");
/** Envoy Gateway versions whose module files are committed (tools/eg-validate/versions/). */
export function committedVersions(): string[] {
  const dir = join(VALIDATOR_SOURCE, "versions");
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((v) => existsSync(join(dir, v, "go.mod")))
        .sort()
    : [];
}

/** One Go module per version: its module path and the go.mod a new version starts from. */
const GO_MOD = (version: string) => `module dot-cluster/tools/eg-validate\n\ngo 1.25\n\nrequire ${ENVOY_GATEWAY_MODULE} ${version}\n`;

interface Prepared {
  dir: string;
  tags: string[];
}

/** Writes .cache/eg-validate/<version>/ when its inputs changed; reads nothing from Go when they did not. */
async function prepare(version: string, log: Log): Promise<Prepared> {
  const dir = join(CACHE_DIR, "eg-validate", version);
  if (!existsSync(VALIDATOR_SOURCE))
    throw new Unavailable(`the validator's sources (tools/eg-validate/) are missing from this checkout; restore them from git`);
  const sources = readdirSync(VALIDATOR_SOURCE)
    .filter((f) => f.endsWith(".go"))
    .sort()
    .map((f) => [f, readFileSync(join(VALIDATOR_SOURCE, f), "utf8")] as const);
  const committed = join(VALIDATOR_SOURCE, "versions", version);
  const goMod = readIfExists(join(committed, "go.mod"));
  const goSum = readIfExists(join(committed, "go.sum"));
  const key = createHash("sha256")
    .update(JSON.stringify([version, sources, goMod ?? null, goSum ?? null]))
    .digest("hex")
    .slice(0, 16);
  const stampFile = join(dir, "prepared.json");
  const stamp = readIfExists(stampFile);
  if (stamp) {
    const s = JSON.parse(stamp) as { key: string; tags: string[] };
    if (s.key === key) return { dir, tags: s.tags };
  }
  // Envoy Gateway warns about risky settings at start-up only since validation.WarnEnvoyGateway exists.
  const src = await moduleDir(version);
  const validation = join(src, "api", "v1alpha1", "validation");
  const warns = readdirSync(validation).some(
    (f) => f.endsWith(".go") && !f.endsWith("_test.go") && readFileSync(join(validation, f), "utf8").includes("func WarnEnvoyGateway("),
  );
  const tags = warns ? ["egwarn"] : [];
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of sources) writeFileAtomic(join(dir, f), text);
  if (goMod !== undefined && goSum !== undefined) {
    writeFileAtomic(join(dir, "go.mod"), goMod);
    writeFileAtomic(join(dir, "go.sum"), goSum);
  } else {
    log(`eg-validate: no committed module files for Envoy Gateway ${version} (tools/eg-validate/versions/${version}); resolving them with go mod tidy`);
    writeFileAtomic(join(dir, "go.mod"), GO_MOD(version));
    const tidy = await execa("go", ["mod", "tidy"], { cwd: dir, reject: false, all: true, timeout: 600_000 });
    if (tidy.exitCode !== 0)
      throw new Unavailable(
        `the validator for Envoy Gateway ${version} cannot be set up: go mod tidy failed: ${String(tidy.all ?? tidy.message)
          .trim()
          .split("\n")
          .slice(-3)
          .join(" / ")}`,
      );
  }
  writeFileAtomic(stampFile, JSON.stringify({ key, tags }) + "\n");
  return { dir, tags };
}

/** The validator binary for an Envoy Gateway version (v-prefixed), building it when needed. */
export async function ensureValidator(version: string, log: Log): Promise<string> {
  const { dir, tags } = await prepare(version, log);
  const pin = loadPins()["eg-validate"];
  try {
    return await ensureGoBuild("eg-validate", `eg-validate-${version}`, { ...pin, version, dir, tags }, log);
  } catch (err) {
    throw new Unavailable(`the validator for Envoy Gateway ${version} cannot be built: ${(err as Error).message.split("\n")[0]}`);
  }
}
