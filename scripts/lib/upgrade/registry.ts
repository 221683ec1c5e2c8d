/**
 * Pulls a Crossplane package from an OCI registry with bump's registry client: the same HTTP
 * rules, the same token flow and CHART_REGISTRY_AUTH_<HOST> credentials, and the same
 * CHART_SOURCE_OVERRIDES mirror prefixes. A Crossplane package image (what `crossplane xpkg
 * build` writes and `crossplane xpkg push` uploads) marks its package layer in the image
 * config with the label `io.crossplane.xpkg:<layer digest>: base`; that layer holds one file,
 * package.yaml, the whole package as a YAML stream.
 */
import { createHash } from "node:crypto";
import { gunzipSync } from "node:zlib";
import { credentialsFor } from "../bump/credentials.js";
import { authorize, errorDetail, parseOciSource, type OciRepository } from "../bump/datasources/oci.js";
import { HttpClient, type HttpOptions, type HttpResponse } from "../bump/http.js";
import { applyOverrides, parseOverrides, OVERRIDES_VARIABLE } from "../bump/overrides.js";
import { UserError } from "../errors.js";
import { PACKAGE_ANNOTATION, PACKAGE_STREAM_FILE } from "../xpkg/archive.js";
import { readTar, TarError } from "../xpkg/tar.js";

const LABEL_PREFIX = "io.crossplane.xpkg:";
const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
];
const INDEX_TYPES = new Set(["application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json"]);

export interface PackageReference {
  /** As the user wrote it. */
  text: string;
  /** oci://host/repository, before overrides. */
  repository: string;
  /** A tag or a sha256:… digest. */
  reference: string;
}

/** Reads `oci://host/repo:tag`, `host/repo:tag` or `host/repo@sha256:…`; undefined when the text is not shaped like one. */
export function parsePackageReference(text: string): PackageReference | undefined {
  const bare = text.replace(/^oci:\/\//, "");
  const m =
    /^([a-zA-Z0-9.-]+(?::\d+)?)\/([a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*)(?::([\w][\w.-]{0,127})|@(sha256:[a-f0-9]{64}))$/.exec(bare);
  if (!m) return undefined;
  const host = m[1]!;
  // A registry host has a dot or a port, or is localhost (as Docker decides); "HEAD~3" or "v1.2.0" are not.
  if (!text.startsWith("oci://") && !/[.:]/.test(host) && host !== "localhost") return undefined;
  return { text, repository: `oci://${host}/${m[2]}`, reference: m[3] ?? m[4]! };
}

export interface PulledPackage {
  /** The package.yaml stream of the package layer. */
  stream: string;
  /** What was read (after CHART_SOURCE_OVERRIDES): host/repository@digest. */
  location: string;
  digest: string;
}

export interface PullOptions {
  env: Readonly<Record<string, string | undefined>>;
  http?: Partial<HttpOptions>;
}

/** Not a Crossplane package image: the reference resolved, but the image holds no package. */
export class NotAPackageError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = "NotAPackageError";
  }
}

const sha256 = (data: Buffer) => "sha256:" + createHash("sha256").update(data).digest("hex");

export async function pullPackage(ref: PackageReference, options: PullOptions): Promise<PulledPackage> {
  const overrides = parseOverrides(options.env[OVERRIDES_VARIABLE]);
  const { source } = applyOverrides(ref.repository, overrides);
  let repo: OciRepository;
  try {
    repo = parseOciSource(source);
  } catch {
    throw new UserError(`${ref.text}: ${source} is not an OCI repository (check ${OVERRIDES_VARIABLE})`);
  }
  const http = new HttpClient(options.http);
  const creds = credentialsFor(repo.host, options.env);
  if (creds) {
    http.addSecret(creds.password);
    http.addSecret(Buffer.from(`${creds.username}:${creds.password}`).toString("base64"));
  }
  const what = `${repo.repository} at ${repo.host}`;
  let authorization: string | undefined;
  const get = async (path: string, headers: Record<string, string> = {}): Promise<HttpResponse> => {
    const url = `${repo.apiBase}/v2/${repo.repository}/${path}`;
    let res = await http.get(url, { ...headers, ...(authorization ? { authorization } : {}) });
    if (res.status === 401) {
      authorization = await authorize(res, repo, creds, { http, env: options.env }, what);
      res = await http.get(url, { ...headers, authorization });
    }
    if (res.status === 401 || res.status === 403)
      throw http.fail(
        `${what}: access denied (HTTP ${res.status}: ${errorDetail(res)}).` +
          (creds ? ` Check the credentials in ${creds.variable}.` : " If the package is private, set CHART_REGISTRY_AUTH_<HOST>=<user>:<token>."),
        url,
      );
    return res;
  };

  const accept = { accept: MANIFEST_TYPES.join(", ") };
  let res = await get(`manifests/${ref.reference}`, accept);
  if (res.status === 404) throw http.fail(`${what}: no package ${ref.reference} (HTTP 404: ${errorDetail(res)})`, res.url);
  if (res.status !== 200) throw http.fail(`${what}: unexpected HTTP ${res.status} for manifest ${ref.reference} (${errorDetail(res)})`, res.url);
  let manifest = parseJson(res, `${what}: manifest ${ref.reference}`) as {
    mediaType?: string;
    manifests?: { digest?: string; platform?: { os?: string; architecture?: string } }[];
    config?: { digest?: string };
    layers?: { digest?: string; mediaType?: string }[];
  };
  let digest = res.headers.get("docker-content-digest") ?? sha256(res.bytes);
  const mediaType = manifest.mediaType ?? res.headers.get("content-type") ?? "";
  if (INDEX_TYPES.has(mediaType) || Array.isArray(manifest.manifests)) {
    const list = manifest.manifests ?? [];
    const pick = list.find((m) => m.platform?.os === "linux" && m.platform?.architecture === "amd64") ?? list[0];
    if (!pick?.digest) throw new NotAPackageError(`${ref.text}: the image index lists no image; not a Crossplane package`);
    res = await get(`manifests/${pick.digest}`, accept);
    if (res.status !== 200) throw http.fail(`${what}: unexpected HTTP ${res.status} for manifest ${pick.digest} (${errorDetail(res)})`, res.url);
    manifest = parseJson(res, `${what}: manifest ${pick.digest}`) as typeof manifest;
    digest = pick.digest;
  }
  if (!manifest.config?.digest || !Array.isArray(manifest.layers))
    throw new NotAPackageError(`${ref.text}: the manifest has no config or layers (an artifact, not a container image); not a Crossplane package`);

  const blob = async (d: string, label: string): Promise<Buffer> => {
    const r = await get(`blobs/${d}`);
    if (r.status !== 200) throw http.fail(`${what}: unexpected HTTP ${r.status} for the ${label} blob ${d} (${errorDetail(r)})`, r.url);
    if (sha256(r.bytes) !== d) throw http.fail(`${what}: the ${label} blob does not match its digest ${d}`, r.url);
    return r.bytes;
  };
  let config: { config?: { Labels?: Record<string, string> } };
  try {
    config = JSON.parse((await blob(manifest.config.digest, "config")).toString("utf8")) as typeof config;
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new NotAPackageError(`${ref.text}: the image config is not JSON; not a Crossplane package`);
  }
  const labels = config?.config?.Labels ?? {};
  const marked = manifest.layers.filter((l) => l.digest && labels[LABEL_PREFIX + l.digest] === PACKAGE_ANNOTATION);
  if (marked.length === 0) {
    throw new NotAPackageError(
      `${ref.text}: the image is not a Crossplane package: its config labels no layer "${LABEL_PREFIX}<digest>: ${PACKAGE_ANNOTATION}" (the package layer ` +
        `\`crossplane xpkg build\` writes)`,
    );
  }
  const layerDigest = marked[0]!.digest!;
  const layer = await blob(layerDigest, "package layer");
  let files;
  try {
    let tar: Buffer;
    try {
      tar = gunzipSync(layer);
    } catch {
      tar = layer;
    }
    files = readTar(tar);
  } catch (err) {
    if (err instanceof TarError) throw new NotAPackageError(`${ref.text}: the package layer ${layerDigest} is not a tar archive (${err.message})`);
    throw err;
  }
  const file = files.find((e) => e.type === "file" && e.name.replace(/^\.\//, "") === PACKAGE_STREAM_FILE);
  if (!file) throw new NotAPackageError(`${ref.text}: the package layer ${layerDigest} has no ${PACKAGE_STREAM_FILE}; not a Crossplane package`);
  return { stream: file.data.toString("utf8"), location: `${repo.host}/${repo.repository}@${digest}`, digest };
}

function parseJson(res: HttpResponse, what: string): unknown {
  try {
    return JSON.parse(res.body) as unknown;
  } catch {
    throw new NotAPackageError(`${what} is not JSON; not an OCI image`);
  }
}
