/** No secret-looking literal (password hashes, private keys, tokens) anywhere in the package files. */
import { SECRET_PATTERNS } from "../data/secrets.js";
import type { Rule, RuleFinding } from "../types.js";

const mask = (s: string) => (s.length > 10 ? `${s.slice(0, 7)}…` : "…");

export const pkgSecrets: Rule = {
  id: "pkg-secrets",
  description: "no password hash, private key or token literal in the package",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    const files = [...new Set(ctx.pkg.documents.map((d) => d.file))];
    for (const file of files) {
      const text = ctx.readPackageFile(file);
      if (text === undefined) continue;
      text.split("\n").forEach((line, i) => {
        for (const { what, pattern } of SECRET_PATTERNS) {
          const m = pattern.exec(line);
          if (!m) continue;
          findings.push({
            file,
            line: i + 1,
            message: `${what} literal (${mask(m[0])}) in the package`,
            hint: "anyone who can read the package can use it; reference a Secret (for example through External Secrets) instead and rotate this one",
          });
        }
      });
    }
    return findings;
  },
};
