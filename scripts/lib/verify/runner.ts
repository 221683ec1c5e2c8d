/** Runs rules over a loaded package and its rendered cases. Pure apart from reading files; never writes. */
import { readFileSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { CompatibilityRow } from "../compat.js";
import { UserError } from "../errors.js";
import { locateStepSource } from "../render/package.js";
import type { KubeObject, LoadedPackage, RenderedCase } from "../render/types.js";
import { isMap } from "./resources.js";
import { RULES } from "./rules/index.js";
import type { Finding, Rule, VerifyContext } from "./types.js";
import type { EnvoyGatewayJudgments } from "./eg-judgments.js";
import type { ServicesResult } from "../ai-gateway/chart.js";
import { readYamlFile } from "../yamlio.js";

export interface ContextInput {
  pkg: LoadedPackage;
  cases: readonly RenderedCase[];
  casesDir: string;
  compatibility: readonly CompatibilityRow[];
  envoyGateway?: EnvoyGatewayJudgments;
  aiGatewayServices?: ReadonlyMap<string, ServicesResult>;
  strict?: boolean;
}

export function createContext(input: ContextInput): VerifyContext {
  const caseCache = new Map<string, KubeObject | undefined>();
  const pkgDir = resolve(input.pkg.dir);
  return {
    ...input,
    readPackageFile(file) {
      const path = resolve(pkgDir, file);
      if (path !== pkgDir && !path.startsWith(pkgDir + sep)) return undefined;
      try {
        return readFileSync(path, "utf8");
      } catch {
        return undefined;
      }
    },
    locateSource: (composition, step, line) => locateStepSource(input.pkg, composition, step, line),
    caseInput(c) {
      if (!caseCache.has(c.file)) {
        // The case rendered, so its file was read once already; reading it again cannot fail but by a change under our feet.
        const first = readYamlFile(c.file)[0];
        caseCache.set(c.file, isMap(first) && typeof first.apiVersion === "string" && typeof first.kind === "string" ? (first as KubeObject) : undefined);
      }
      return caseCache.get(c.file);
    },
  };
}

/**
 * Runs each rule; findings come back in rule order, file paths resolved (package-relative paths
 * against the package directory) and shown relative to displayRoot. A rule that throws on
 * unexpected input becomes an error finding of that rule instead of stopping the others; a
 * UserError (a file that cannot be read or parsed) stops the run.
 */
export function runRules(ctx: VerifyContext, rules: readonly Rule[] = RULES, displayRoot?: string): Finding[] {
  const findings: Finding[] = [];
  const show = (file: string) => {
    const abs = isAbsolute(file) ? file : resolve(ctx.pkg.dir, file);
    return displayRoot === undefined ? abs : relative(displayRoot, abs) || ".";
  };
  for (const rule of rules) {
    let found;
    try {
      found = rule.check(ctx);
    } catch (err) {
      // A file a person can fix (bad YAML, one that vanished) is theirs to fix, not a bug in the rule.
      if (err instanceof UserError) throw err;
      found = [
        {
          message: `the rule stopped on unexpected input: ${(err as Error)?.message ?? String(err)}`,
          hint: "this is a bug in verify; report it with the package and case that caused it",
        },
      ];
    }
    for (const f of found) {
      const out: Finding = { rule: rule.id, severity: f.severity ?? rule.severity, ...f };
      if (f.file !== undefined) out.file = show(f.file);
      findings.push(out);
    }
  }
  return findings;
}
