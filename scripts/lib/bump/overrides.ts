/**
 * CHART_SOURCE_OVERRIDES: where a chart source is really read from, for mirrors, air-gapped
 * users and tests. Comma-separated FROM=TO URL prefixes; the longest FROM that prefixes a
 * source (at a '/' boundary) wins, and FROM is replaced by TO:
 *   CHART_SOURCE_OVERRIDES='oci://docker.io/=oci://127.0.0.1:5000/,https://kedacore.github.io/charts=http://127.0.0.1:8080'
 * An oci:// prefix maps to oci://, an http(s):// prefix to http(s)://. kcl/apps.k is never changed.
 */
import { UserError } from "../errors.js";
import { credentialsVariable } from "./credentials.js";
import { hasUserinfo, printable } from "./text.js";

export const OVERRIDES_VARIABLE = "CHART_SOURCE_OVERRIDES";

export interface SourceOverride {
  from: string;
  to: string;
}

const kind = (url: string) => (url.startsWith("oci://") ? "oci" : /^https?:\/\//.test(url) ? "http" : undefined);

export function parseOverrides(value: string | undefined): SourceOverride[] {
  if (!value || value.trim() === "") return [];
  const out: SourceOverride[] = [];
  for (const raw of value.split(",")) {
    const trimmed = raw.trim();
    if (trimmed === "") continue;
    // Only ever printed redacted and escaped: the variable may carry a password.
    const item = printable(trimmed);
    const eq = trimmed.indexOf("=");
    const from = eq === -1 ? "" : trimmed.slice(0, eq).trim();
    const to = eq === -1 ? "" : trimmed.slice(eq + 1).trim();
    if (!from || !to)
      throw new UserError(
        `${OVERRIDES_VARIABLE}: "${item}" is not FROM=TO (expected e.g. oci://docker.io/=oci://127.0.0.1:5000/,https://helm.cilium.io=http://127.0.0.1:8080).`,
      );
    const kf = kind(from);
    const kt = kind(to);
    if (!kf || !kt) throw new UserError(`${OVERRIDES_VARIABLE}: "${item}": both sides must be URLs starting with oci://, https:// or http://.`);
    if (kf !== kt)
      throw new UserError(
        `${OVERRIDES_VARIABLE}: "${item}" maps an ${kf === "oci" ? "OCI" : "HTTP"} source to an ${kt === "oci" ? "OCI" : "HTTP"} one; a chart source can ` +
          `only be mirrored by the same kind of registry.`,
      );
    for (const side of [from, to]) {
      if (!hasUserinfo(side)) continue;
      let host = "<HOST>";
      try {
        host = new URL(side.replace(/^oci:/, "https:")).host;
      } catch {
        /* keep the placeholder */
      }
      throw new UserError(
        `${OVERRIDES_VARIABLE}: "${item}" carries credentials in a URL; they are not used there (a source URL is printed in logs and errors). ` +
          `Remove user:password@ from the URL and set ${credentialsVariable(host)}=<user>:<password-or-token> for that registry instead.`,
      );
    }
    out.push({ from, to });
  }
  return out;
}

/** The source to read instead of `source`, and the override used (if any). */
export function applyOverrides(source: string, overrides: readonly SourceOverride[]): { source: string; override?: SourceOverride } {
  let best: SourceOverride | undefined;
  for (const o of overrides) {
    if (!source.startsWith(o.from)) continue;
    const atBoundary = source.length === o.from.length || o.from.endsWith("/") || source[o.from.length] === "/";
    if (atBoundary && (!best || o.from.length > best.from.length)) best = o;
  }
  if (!best) return { source };
  return { source: best.to + source.slice(best.from.length), override: best };
}
