/**
 * Opens a Crossplane package file (.xpkg): an OCI image tarball as go-containerregistry writes
 * it (manifest.json, the config blob, one gzipped tar per layer). Crossplane marks its layers
 * with config labels `io.crossplane.xpkg:<layer digest>`: "base" for the package layer (one
 * file, package.yaml) and "upbound" for the examples layer (.up/examples.yaml).
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { readTar, TarError } from "./tar.js";

export const PACKAGE_ANNOTATION = "base";
export const EXAMPLES_ANNOTATION = "upbound";
export const PACKAGE_STREAM_FILE = "package.yaml";
export const EXAMPLES_FILE = ".up/examples.yaml";
const LABEL_PREFIX = "io.crossplane.xpkg:";

export interface XpkgLayer {
  /** sha256:<hex> of the compressed layer blob. */
  digest: string;
  /** Crossplane's annotation for the layer ("base", "upbound"), when it has one. */
  annotation?: string;
  /** Regular files of the layer by path. */
  files: Map<string, Buffer>;
}

export interface XpkgImage {
  config: { config?: { Labels?: Record<string, string> }; rootfs?: { diff_ids?: string[] } } & Record<string, unknown>;
  layers: XpkgLayer[];
}

export class XpkgFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "XpkgFormatError";
  }
}

function sha256(data: Buffer): string {
  return "sha256:" + createHash("sha256").update(data).digest("hex");
}

/** Parses a .xpkg file's bytes. Throws XpkgFormatError when it is not a package image tarball. */
export function readXpkg(bytes: Buffer): XpkgImage {
  let outer;
  try {
    outer = new Map(
      readTar(bytes)
        .filter((e) => e.type === "file")
        .map((e) => [e.name, e.data]),
    );
  } catch (err) {
    if (err instanceof TarError) throw new XpkgFormatError(`not a tar archive: ${err.message}`);
    throw err;
  }
  const manifestBytes = outer.get("manifest.json");
  if (!manifestBytes) throw new XpkgFormatError("no manifest.json: not an OCI image tarball");
  const manifest = JSON.parse(manifestBytes.toString("utf8")) as { Config?: string; Layers?: string[] }[];
  if (!Array.isArray(manifest) || manifest.length !== 1 || !manifest[0]?.Config || !Array.isArray(manifest[0].Layers)) {
    throw new XpkgFormatError("manifest.json must describe exactly one image with a Config and Layers");
  }
  const configBytes = outer.get(manifest[0].Config);
  if (!configBytes) throw new XpkgFormatError(`the image config ${manifest[0].Config} is missing from the archive`);
  if (sha256(configBytes) !== manifest[0].Config && `sha256:${manifest[0].Config}` !== sha256(configBytes)) {
    throw new XpkgFormatError(`the image config does not match its digest ${manifest[0].Config}`);
  }
  const config = JSON.parse(configBytes.toString("utf8")) as XpkgImage["config"];
  const labels = config.config?.Labels ?? {};
  const layers: XpkgLayer[] = manifest[0].Layers.map((name) => {
    const blob = outer.get(name);
    if (!blob) throw new XpkgFormatError(`layer ${name} is missing from the archive`);
    const digest = sha256(blob);
    if (!name.startsWith(digest.slice("sha256:".length))) throw new XpkgFormatError(`layer ${name} does not match its digest ${digest}`);
    let tar: Buffer;
    try {
      tar = gunzipSync(blob);
    } catch {
      tar = blob; // uncompressed layer
    }
    const files = new Map(
      readTar(tar)
        .filter((e) => e.type === "file")
        .map((e) => [e.name.replace(/^\.\//, ""), e.data]),
    );
    const annotation = labels[LABEL_PREFIX + digest];
    return { digest, files, ...(annotation ? { annotation } : {}) };
  });
  return { config, layers };
}

/** The package layer's package.yaml (the one Crossplane installs from). */
export function packageStream(image: XpkgImage): string {
  const layers = image.layers.filter((l) => l.annotation === PACKAGE_ANNOTATION);
  if (layers.length !== 1) throw new XpkgFormatError(`expected exactly one layer annotated "${PACKAGE_ANNOTATION}", found ${layers.length}`);
  const file = layers[0]!.files.get(PACKAGE_STREAM_FILE);
  if (!file) throw new XpkgFormatError(`the package layer has no ${PACKAGE_STREAM_FILE}`);
  return file.toString("utf8");
}

/** The examples layer's content, when the package has one. */
export function examplesStream(image: XpkgImage): string | undefined {
  const layer = image.layers.find((l) => l.annotation === EXAMPLES_ANNOTATION);
  return layer?.files.get(EXAMPLES_FILE)?.toString("utf8");
}
