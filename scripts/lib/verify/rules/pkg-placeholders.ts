/** No placeholder tokens left in the sources a composition embeds (CLUSTER_API_VERSION, CLUSTER_KIND, REPLACE_ME …). */
import { CAPS_TOKEN, ENV_AFTER, ENV_BEFORE, KNOWN_PLACEHOLDERS, PLACEHOLDER_MARKERS, SHAPED_KEY_BEFORE } from "../data/placeholders.js";
import { positionIn, scanSource, type Segment } from "../source-scan.js";
import { embeddedSources } from "../package.js";
import type { Rule, RuleFinding } from "../types.js";

/** Placeholders in a source: token, 1-based line and column. */
export function findPlaceholders(source: string): { token: string; line: number; column: number }[] {
  const found: { token: string; line: number; column: number }[] = [];
  const segments = scanSource(source);
  const code = segments
    .filter((s) => s.type === "code")
    .map((s) => s.text)
    .join("\n");
  const add = (seg: Segment, offset: number, token: string) => {
    const at = positionIn(seg, offset);
    if (!found.some((f) => f.line === at.line && f.column === at.column)) found.push({ token, ...at });
  };
  segments.forEach((seg, n) => {
    for (const m of seg.text.matchAll(CAPS_TOKEN)) {
      const token = m[0];
      const before = seg.text.slice(0, m.index);
      const after = seg.text.slice(m.index + token.length);
      let placeholder = KNOWN_PLACEHOLDERS.includes(token);
      if (!placeholder && seg.type === "string" && !seg.text.includes("\n")) {
        const previous = segments[n - 1];
        const shaped = previous?.type === "code" && SHAPED_KEY_BEFORE.test(previous.text);
        const glued = seg.text.trim() !== token && !ENV_BEFORE.test(before) && !ENV_AFTER.test(after);
        placeholder = shaped || glued;
      }
      if (!placeholder && seg.type === "code" && !before.endsWith(".")) {
        // A bare identifier the source never defines (KCL would fail on it, unless it is replaced first).
        placeholder = !new RegExp(`(^|[\\s{,(])${token}\\s*[:=]`, "m").test(code);
      }
      if (placeholder) add(seg, m.index, token);
    }
    for (const marker of PLACEHOLDER_MARKERS) for (const m of seg.text.matchAll(marker)) add(seg, m.index, m[0]);
  });
  return found.sort((a, b) => a.line - b.line || a.column - b.column);
}

export const pkgPlaceholders: Rule = {
  id: "pkg-placeholders",
  description: "no leftover placeholder tokens (ALL_CAPS_WITH_UNDERSCORES, REPLACE_ME …) in embedded sources",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    // The same source is often embedded in several compositions: report each once.
    const seen = new Map<string, RuleFinding>();
    const scanned = new Map<string, ReturnType<typeof findPlaceholders>>();
    for (const s of embeddedSources(ctx.pkg)) {
      if (!scanned.has(s.source)) scanned.set(s.source, findPlaceholders(s.source));
      for (const p of scanned.get(s.source)!) {
        const key = `${s.step}\0${p.line}\0${p.column}\0${s.source}`;
        const prior = seen.get(key);
        if (prior) {
          prior.resource += `,${s.composition}`;
          continue;
        }
        const at = ctx.locateSource(s.composition, s.step, p.line);
        const finding: RuleFinding = {
          resource: s.composition,
          file: at?.file ?? s.file,
          ...(at ? { line: at.line } : {}),
          message: `composition step ${s.step} embeds a source with placeholder ${p.token} at line ${p.line}:${p.column} of the source`,
          hint: 'generate the value in KCL (from option("params").oxr) instead of replacing text, and remove the token',
        };
        seen.set(key, finding);
        findings.push(finding);
      }
    }
    return findings;
  },
};
