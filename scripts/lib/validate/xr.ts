/**
 * Checks composite resources against their XRD before anything renders them, with the schema
 * validation `npm run validate` uses (crossplane beta validate: OpenAPI schema, unknown fields,
 * CEL rules) plus the name rule the API server applies to every custom resource, so that an
 * XR the API server would refuse is refused here too, each violation with its field path.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findXrd } from "../render/select.js";
import type { KubeObject, LoadedPackage } from "../render/types.js";
import { ensureGoTool, loadPins, type Log } from "../tools.js";
import { crankValidate } from "./crank.js";

/** A lowercase RFC 1123 subdomain: what the API server requires of a custom resource's name. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The API server's name check for custom resources (metadata.name), as its message words it. */
export function nameViolations(xr: KubeObject): string[] {
  const name = xr.metadata?.name;
  if (typeof name !== "string" || name === "") return ["metadata.name: Required value: name is required"];
  const out: string[] = [];
  if (name.length > 253) out.push(`metadata.name: Invalid value: "${name.slice(0, 20)}…": must be no more than 253 characters`);
  if (!DNS_SUBDOMAIN.test(name)) {
    out.push(
      `metadata.name: Invalid value: ${JSON.stringify(name)}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or ` +
        `'.', and must start and end with an alphanumeric character`,
    );
  }
  return out;
}

function serves(xrd: KubeObject, apiVersion: string): boolean {
  const versions = (xrd.spec as { versions?: { name?: unknown; served?: unknown }[] } | undefined)?.versions ?? [];
  const version = apiVersion.split("/")[1];
  return versions.some((v) => v.name === version && v.served !== false);
}

export interface XrCheckOptions {
  /** The crossplane CLI (default: the pinned one, installed on first use). */
  crossplane?: string;
  log?: Log;
}

/**
 * Violations of each XR (in order; empty when valid), worded as the API server words them:
 * "<field>: Invalid value: …". XRs of a kind the package has no XRD for are not checked here.
 */
export async function checkXrs(pkg: LoadedPackage, xrs: readonly KubeObject[], options: XrCheckOptions = {}): Promise<string[][]> {
  const out: string[][] = xrs.map((xr) => nameViolations(xr));
  // Only XRs of a version their XRD serves: render names any other type mismatch itself.
  const checked = xrs.map((xr, i) => ({ xr, i, xrd: findXrd(pkg, xr) })).filter((c) => c.xrd !== undefined && serves(c.xrd, c.xr.apiVersion));
  if (checked.length === 0) return out;
  const crossplane = options.crossplane ?? (await ensureGoTool("crossplane", options.log));
  const dir = mkdtempSync(join(tmpdir(), "xr-check-"));
  try {
    const xrds = [...new Set(checked.map((c) => c.xrd!))];
    const files = xrds.map((x, i) => {
      // crank reads .yaml files only (JSON is YAML).
      const file = join(dir, `xrd-${i}.yaml`);
      writeFileSync(file, JSON.stringify(x));
      return file;
    });
    const verdicts = await crankValidate({
      crossplane,
      extensions: files,
      resources: checked.map((c) => c.xr),
      crossplaneImage: `xpkg.crossplane.io/crossplane/crossplane:${loadPins().crossplane.version}`,
    });
    checked.forEach((c, k) => {
      const verdict = verdicts[k]!;
      if (verdict.status === "no-schema") throw new Error(`crossplane beta validate found no schema for ${c.xr.apiVersion} ${c.xr.kind} in its XRD`);
      for (const e of verdict.errors) {
        if (e.rule === "defaults") continue;
        // The XRD may state the name rule as CEL too (ours does): one report of it is enough.
        if (e.rule === "cel" && /metadata\.name/.test(e.message) && out[c.i]!.some((l) => l.startsWith("metadata.name: "))) continue;
        const line = e.field ? `${e.field}: ${e.message}` : e.message;
        // crank and the name rule above may both report the name.
        if (!out[c.i]!.includes(line)) out[c.i]!.push(line);
      }
    });
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** "Cluster.devopstoolkit.ai "a" is invalid: …" as the API server answers, one violation a line. */
export function formatXrViolations(xr: KubeObject, violations: readonly string[]): string {
  const group = xr.apiVersion.includes("/") ? xr.apiVersion.split("/")[0] : "";
  const name = typeof xr.metadata?.name === "string" ? xr.metadata.name : "";
  const subject = `${xr.kind}${group ? `.${group}` : ""} ${JSON.stringify(name.length > 80 ? name.slice(0, 80) + "…" : name)}`;
  return `${subject} is invalid against the package's XRD (the API server would refuse it):\n  ${violations.join("\n  ")}`;
}
