// npm run package: the real crossplane CLI builds the .xpkg; the archive is opened with the
// system tar (not this project's reader) and compared with package/.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { UserError, UsageError } from "../../scripts/lib/errors.js";
import { PACKAGE_DIR, ROOT } from "../../scripts/lib/paths.js";
import { ensureGoTool } from "../../scripts/lib/tools.js";
import { copyRepo } from "../helpers/repo.js";
import { packageStream, readXpkg } from "../../scripts/lib/xpkg/archive.js";
import { buildXpkg } from "../../scripts/lib/xpkg/build.js";
import { parseVersion, resolveVersion, tagsAtHead } from "../../scripts/lib/xpkg/version.js";

type Obj = Record<string, unknown>;

let crossplane: string;
const temps: string[] = [];
function tempRoot(withExamples?: Record<string, string>): string {
  const root = copyRepo({ only: ["package"], prefix: "xpkg-test-" }).root;
  temps.push(root);
  if (withExamples) {
    mkdirSync(join(root, "examples"));
    for (const [name, content] of Object.entries(withExamples)) writeFileSync(join(root, "examples", name), content);
  }
  return root;
}

/** Unpacks an image tarball with the system tar: manifest, config and each layer's files. */
async function unpack(file: string): Promise<{ labels: Record<string, string>; layers: { digest: string; dir: string }[] }> {
  const dir = mkdtempSync(join(tmpdir(), "xpkg-unpack-"));
  temps.push(dir);
  await execa("tar", ["-xf", file, "-C", dir]);
  const manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as { Config: string; Layers: string[] }[];
  const config = JSON.parse(readFileSync(join(dir, manifest[0]!.Config), "utf8")) as { config: { Labels: Record<string, string> } };
  const layers = [];
  for (const [i, layer] of manifest[0]!.Layers.entries()) {
    const out = join(dir, `layer-${i}`);
    mkdirSync(out);
    await execa("tar", ["-xzf", join(dir, layer), "-C", out]);
    layers.push({ digest: "sha256:" + (await execa("sha256sum", [join(dir, layer)])).stdout.split(" ")[0], dir: out });
  }
  return { labels: config.config.Labels, layers };
}

function docsOf(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as unknown)
    .filter((v): v is Obj => !!v && typeof v === "object");
}

function sourceDocs(dir: string): { file: string; object: Obj }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .flatMap((file) => docsOf(readFileSync(join(dir, file), "utf8")).map((object) => ({ file, object })));
}

const isZero = (v: unknown): boolean =>
  v === "" || v === null || v === false || v === 0 || (Array.isArray(v) ? v.length === 0 : typeof v === "object" && Object.values(v as Obj).every(isZero));

beforeAll(async () => {
  crossplane = await ensureGoTool("crossplane");
});
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

describe("npm run package", () => {
  it("builds dist/<name>-<version>.xpkg whose package layer holds crossplane.yaml, the XRD and every composition of package/", async () => {
    const root = tempRoot();
    const built = await buildXpkg({ root, crossplane, version: parseVersion("0.1.0", "test") });
    const meta = parse(readFileSync(join(PACKAGE_DIR, "crossplane.yaml"), "utf8")) as { metadata: { name: string } };
    expect(built.file).toBe(join(root, "dist", `${meta.metadata.name}-0.1.0.xpkg`));
    expect(readdirSync(join(root, "dist"))).toEqual([`${meta.metadata.name}-0.1.0.xpkg`]);

    const image = await unpack(built.file);
    const base = image.layers.filter((l) => image.labels[`io.crossplane.xpkg:${l.digest}`] === "base");
    expect(base).toHaveLength(1);
    expect(readdirSync(base[0]!.dir)).toEqual(["package.yaml"]); // README.md and other non-YAML files stay out
    const packaged = docsOf(readFileSync(join(base[0]!.dir, "package.yaml"), "utf8"));

    const sources = sourceDocs(PACKAGE_DIR);
    const metaSource = sources.find((s) => s.file === "crossplane.yaml")!.object;
    const objects = sources.filter((s) => s.file !== "crossplane.yaml").map((s) => s.object);
    expect(objects.map((o) => o.kind).sort()).toEqual(expect.arrayContaining(["CompositeResourceDefinition", "Composition"]));
    expect(packaged).toHaveLength(1 + objects.length);
    // crank writes the meta object first, then the objects in file and document order
    expect(packaged[0]).toEqual(metaSource);
    objects.forEach((source, i) => {
      const got = { ...packaged[i + 1]! };
      // the one transformation: Go types that always serialise status add it with zero values
      if (!("status" in source) && "status" in got) {
        expect(isZero(got.status)).toBe(true);
        delete got.status;
      }
      expect(got).toEqual(source);
    });
    // the embedded KCL of every step is carried byte for byte
    const steps = (o: Obj) => ((o.spec as { pipeline?: { input?: { spec?: { source?: string } } }[] }).pipeline ?? []).map((p) => p.input?.spec?.source);
    const compositions = objects.filter((o) => o.kind === "Composition");
    expect(compositions.length).toBeGreaterThanOrEqual(3);
    for (const c of compositions)
      expect(steps(packaged.find((p) => p.kind === "Composition" && (p.metadata as Obj).name === (c.metadata as Obj).name)!)).toEqual(steps(c));

    // this project's reader sees the same package layer
    expect(docsOf(packageStream(readXpkg(readFileSync(built.file))))).toEqual(packaged);
  });

  it("is reproducible: the same package/ gives the same bytes", async () => {
    const a = tempRoot();
    const b = tempRoot();
    const first = await buildXpkg({ root: a, crossplane, version: parseVersion("1.0.0", "test") });
    const second = await buildXpkg({ root: b, crossplane, version: parseVersion("1.0.0", "test") });
    expect(readFileSync(second.file).equals(readFileSync(first.file))).toBe(true);
  });

  it("carries examples/ as the examples layer, byte for byte", async () => {
    const one = "apiVersion: devopstoolkit.ai/v2\nkind: Cluster\nmetadata:\n  name: one\n";
    const two = "# second\napiVersion: devopstoolkit.ai/v2\nkind: Cluster\nmetadata:\n  name: two\n";
    const root = tempRoot({ "b.yaml": two, "a.yaml": one });
    const built = await buildXpkg({ root, crossplane, version: parseVersion("0.2.0", "test") });
    expect(built.examples).toBe(true);
    const image = await unpack(built.file);
    const examples = image.layers.filter((l) => image.labels[`io.crossplane.xpkg:${l.digest}`] === "upbound");
    expect(examples).toHaveLength(1);
    const text = readFileSync(join(examples[0]!.dir, ".up", "examples.yaml"), "utf8");
    expect(text.indexOf(one)).toBeGreaterThanOrEqual(0);
    expect(text.indexOf(two)).toBeGreaterThan(text.indexOf(one));
    expect(docsOf(text).map((d) => (d.metadata as Obj).name)).toEqual(["one", "two"]);
  });

  it("refuses a package that crossplane would change, and leaves nothing in dist/", async () => {
    const root = tempRoot();
    const file = join(root, "package", "compositions.yaml");
    // a field Crossplane's Composition type does not know: crank drops it silently
    writeFileSync(file, readFileSync(file, "utf8").replace(/^spec:\n/m, "spec:\n  notAField: dropped\n"));
    const err = await buildXpkg({ root, crossplane, version: parseVersion("0.1.0", "test") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/compositions\.yaml .*spec\.notAField: dropped from the package/);
    expect(readdirSync(join(root, "dist"))).toEqual([]);
  });

  it("reports crossplane's own error for a package it cannot build, and leaves nothing in dist/", async () => {
    const root = tempRoot();
    writeFileSync(join(root, "package", "extra.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: not-allowed\n");
    const err = await buildXpkg({ root, crossplane, version: parseVersion("0.1.0", "test") }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/crossplane xpkg build failed/);
    expect(readdirSync(join(root, "dist"))).toEqual([]);
  });

  it("names what to do when package/ has not been generated", async () => {
    const root = mkdtempSync(join(tmpdir(), "xpkg-test-"));
    temps.push(root);
    await expect(buildXpkg({ root, crossplane, version: parseVersion("0.1.0", "test") })).rejects.toThrow(/npm run build/);
    expect(existsSync(join(root, "dist"))).toBe(false);
  });
});

describe("the package version", () => {
  it("comes from --version (X.Y.Z or vX.Y.Z, prereleases allowed)", () => {
    expect(resolveVersion("1.2.3", ["v9.9.9"])).toMatchObject({ version: "1.2.3", tag: "v1.2.3", source: "--version" });
    expect(resolveVersion("v2.0.0-rc.1", [])).toMatchObject({ version: "2.0.0-rc.1", tag: "v2.0.0-rc.1" });
  });

  it("refuses anything that is not semver, and build metadata (not allowed in an OCI tag)", () => {
    for (const bad of ["1.2", "latest", "v1", "1.2.3.4", "01.2.3", "", "1.2.3+build.5"]) {
      expect(() => resolveVersion(bad, [])).toThrow(UsageError);
    }
    expect(() => resolveVersion("1.2.3+build.5", [])).toThrow(/build metadata/);
  });

  it("comes from the single release tag at HEAD when no argument is given", () => {
    expect(resolveVersion(undefined, ["latest", "v0.4.0"])).toMatchObject({ version: "0.4.0", source: "git tag v0.4.0 at HEAD" });
    expect(() => resolveVersion(undefined, [])).toThrow(/pass --version X\.Y\.Z, or build from a commit tagged vX\.Y\.Z/);
    expect(() => resolveVersion(undefined, ["latest"])).toThrow(/none is vX\.Y\.Z/);
    expect(() => resolveVersion(undefined, ["v1.0.0", "v1.0.1"])).toThrow(/several release tags/);
  });

  it("reads the tags at HEAD of a git repository", async () => {
    const root = mkdtempSync(join(tmpdir(), "xpkg-git-"));
    temps.push(root);
    const git = (...args: string[]) => execa("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd: root });
    await git("init", "-q");
    writeFileSync(join(root, "f"), "x");
    await git("add", "f");
    await git("commit", "-q", "-m", "one");
    await git("tag", "v0.3.0");
    await git("tag", "not-a-release");
    expect(await tagsAtHead(root)).toEqual(["not-a-release", "v0.3.0"]);
    expect(resolveVersion(undefined, await tagsAtHead(root)).version).toBe("0.3.0");
    expect(await tagsAtHead(tmpdir())).toEqual([]);
  });
});

describe("the CLI", () => {
  it("exits 2 with the reason for a bad version and builds nothing", async () => {
    const r = await execa(process.execPath, [join(ROOT, "scripts", "run.mjs"), "package", "--version", "1.2"], { cwd: ROOT, reject: false, all: true });
    expect(r.exitCode).toBe(2);
    expect(r.all).toMatch(/"1\.2" is not a semantic version/);
    expect(existsSync(join(ROOT, "dist", "dot-cluster-1.2.xpkg"))).toBe(false);
  });
});
