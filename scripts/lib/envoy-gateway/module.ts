/**
 * The Envoy Gateway Go module (github.com/envoyproxy/gateway) at one version, from the Go module
 * proxy: it holds the gateway-helm chart (charts/gateway-helm) and the validation package the
 * validator is built from.
 */
import semver from "semver";
import { goModDownload } from "../gomod.js";

export const ENVOY_GATEWAY_MODULE = "github.com/envoyproxy/gateway";

/** Thrown when a check cannot run on this machine (no Go, module not served, offline): not a finding about the config. */
export class Unavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Unavailable";
  }
}

/** The module version of an Envoy Gateway chart version (v-prefixed semver), or undefined when it is none. */
export function moduleVersion(chartVersion: string | undefined): string | undefined {
  const v = chartVersion === undefined ? undefined : semver.valid(chartVersion.trim());
  return v ? `v${v}` : undefined;
}

const downloaded = new Map<string, Promise<string>>();

/** The unpacked module directory (read-only, in Go's module cache), downloading it when needed. */
export function moduleDir(version: string): Promise<string> {
  let p = downloaded.get(version);
  if (!p) {
    p = download(version);
    downloaded.set(version, p);
    p.catch(() => downloaded.delete(version));
  }
  return p;
}

async function download(version: string): Promise<string> {
  const r = await goModDownload(ENVOY_GATEWAY_MODULE, version, { timeout: 600_000 });
  if (r.ok) return r.dir;
  if (r.goMissing) throw new Unavailable(`Go is not available (${r.message}); install Go 1.25 or newer`);
  throw new Unavailable(`${ENVOY_GATEWAY_MODULE}@${version} cannot be downloaded from the Go module proxy: ${r.message.split("\n")[0]}`);
}
