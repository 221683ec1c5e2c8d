/** Every case renders: a case that fails to render is checked by no other rule. */
import { resolve } from "node:path";
import type { Rule, RuleFinding } from "../types.js";

export const caseRender: Rule = {
  id: "case-render",
  description: "every case under the cases directory renders through its composition's pipeline",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    if (ctx.cases.length === 0) {
      findings.push({
        file: resolve(ctx.casesDir),
        message: `no cases in ${ctx.casesDir}, so no rendered resource was checked`,
        hint: "add an example XR as <case>.yaml there, or pass --cases DIR",
      });
    }
    for (const c of ctx.cases) {
      if (c.error !== undefined || !c.result) {
        findings.push({
          case: c.case,
          file: resolve(c.file),
          message: `the case does not render: ${c.error ?? "no result"}`,
          hint: "run npm run render to see the failing step",
        });
      }
    }
    return findings;
  },
};
