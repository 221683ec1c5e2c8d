// The release workflow's own shell steps, run for real (bash -eo pipefail, as GitHub runs them):
// the settings check, `npm run package`, the changelog, and `crossplane xpkg push` into a
// registry on 127.0.0.1 (the CNCF distribution registry, pinned in tools.json).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { ROOT } from "../../scripts/lib/paths.js";
import { startDistributionRegistry, type RegistryProcess } from "../../scripts/testkit/registry.js";
import { ensureGoTool } from "../../scripts/lib/tools.js";
import { readXpkg } from "../../scripts/lib/xpkg/archive.js";

interface Step {
  name: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
}
const workflow = parse(readFileSync(join(ROOT, ".github", "workflows", "release.yaml"), "utf8")) as {
  jobs: { release: { steps: Step[]; env: Record<string, string> } };
};
const steps = workflow.jobs.release.steps;

function step(prefix: string): Step {
  const s = steps.find((x) => x.name.startsWith(prefix));
  if (!s?.run) throw new Error(`release.yaml has no run step named "${prefix}…"`);
  return s;
}

/** Runs a step's script with the variables GitHub would set; every variable the step declares must be given. */
async function runStep(prefix: string, env: Record<string, string>) {
  const s = step(prefix);
  for (const name of Object.keys(s.env ?? {})) expect(env, `${s.name} needs ${name}`).toHaveProperty(name);
  const output = join(temp, `output-${Math.random().toString(36).slice(2)}`);
  writeFileSync(output, "");
  const r = await execa("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.run!], {
    cwd: ROOT,
    env: { ...env, GITHUB_OUTPUT: output },
    reject: false,
    all: true,
  });
  const outputs = Object.fromEntries(
    readFileSync(output, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  return { exitCode: r.exitCode, all: String(r.all ?? ""), outputs };
}

let temp: string;
beforeAll(() => {
  temp = mkdtempSync(join(tmpdir(), "release-"));
});
afterAll(() => rmSync(temp, { recursive: true, force: true }));

describe("release workflow steps", () => {
  it("refuses to start without the registry settings, naming each missing one", async () => {
    const missing = await runStep("Check the release settings", {
      XPKG_REGISTRY: "",
      XPKG_REPOSITORY: "org/dot-cluster",
      HAS_USERNAME: "false",
      HAS_TOKEN: "true",
    });
    expect(missing.exitCode).toBe(1);
    expect(missing.all).toContain("variable XPKG_REGISTRY");
    expect(missing.all).toContain("secret XPKG_USERNAME");
    expect(missing.all).not.toContain("XPKG_REPOSITORY");
    expect(missing.all).not.toContain("XPKG_TOKEN");
    const ready = await runStep("Check the release settings", {
      XPKG_REGISTRY: "ghcr.io",
      XPKG_REPOSITORY: "org/dot-cluster",
      HAS_USERNAME: "true",
      HAS_TOKEN: "true",
    });
    expect(ready.exitCode, ready.all).toBe(0);
  });

  it("takes the version from the tag (vX.Y.Z) and fails on a bad one without output", async () => {
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
    const ok = await runStep("Build the package", { ...env, VERSION: "v0.1.0" });
    expect(ok.exitCode, ok.all).toBe(0);
    expect(ok.outputs).toEqual({ file: "dist/dot-cluster-0.1.0.xpkg", tag: "v0.1.0" });
    expect(existsSync(join(ROOT, ok.outputs.file!))).toBe(true);
    const bad = await runStep("Build the package", { ...env, VERSION: "release-1" });
    expect(bad.exitCode).not.toBe(0);
    expect(bad.outputs).toEqual({});
  });

  it("writes the changelog the release uses as its notes", async () => {
    const r = await runStep("Write the changelog", { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", VERSION: "v0.1.0" });
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(join(ROOT, "dist", "CHANGELOG.md"), "utf8")).toMatch(/^## Chart pins /);
  });

  describe("pushing to a registry", () => {
    let registry: RegistryProcess;
    let address: string;
    beforeAll(async () => {
      registry = await startDistributionRegistry(mkdtempSync(join(temp, "registry-")));
      address = registry.host;
    });
    afterAll(() => registry?.stop());

    it("pushes the package so that the registry serves it under the version tag, package layer annotated", async () => {
      await ensureGoTool("crossplane");
      const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" };
      const built = await runStep("Build the package", { ...env, VERSION: "0.1.0" });
      expect(built.exitCode, built.all).toBe(0);
      const pushed = await runStep("Push the package", {
        ...env,
        XPKG_REGISTRY: address,
        XPKG_REPOSITORY: "devopstoolkit/dot-cluster",
        FILE: built.outputs.file!,
        TAG: built.outputs.tag!,
      });
      expect(pushed.exitCode, pushed.all).toBe(0);

      const res = await fetch(`http://${address}/v2/devopstoolkit/dot-cluster/manifests/v0.1.0`, {
        headers: { accept: "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json" },
      });
      expect(res.status).toBe(200);
      const manifest = (await res.json()) as { layers: { digest: string; annotations?: Record<string, string> }[] };
      const image = readXpkg(readFileSync(join(ROOT, built.outputs.file!)));
      expect(manifest.layers.map((l) => l.digest)).toEqual(image.layers.map((l) => l.digest));
      // Crossplane finds the package layer by this annotation when it installs the package
      const base = image.layers.find((l) => l.annotation === "base")!;
      expect(manifest.layers.find((l) => l.digest === base.digest)?.annotations?.["io.crossplane.xpkg"]).toBe("base");
      expect((await fetch(`http://${address}/v2/devopstoolkit/dot-cluster/blobs/${base.digest}`)).status).toBe(200);
    });
  });
});
