/**
 * No name is used twice where Crossplane needs it unique: composition names, pipeline step names,
 * composition resource names within a render (function-kcl refuses duplicates; a duplicate across
 * steps silently replaces the earlier resource), and the same apiVersion/kind/namespace/name twice
 * in one render (two composed resources fighting over one object, as duplicated schema
 * instantiation produces).
 */
import { compositions, pipelineSteps } from "../package.js";
import { renderedCases, str } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

function duplicates<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    if (k === undefined) continue;
    groups.set(k, [...(groups.get(k) ?? []), item]);
  }
  return new Map([...groups].filter(([, v]) => v.length > 1));
}

export const pkgDuplicates: Rule = {
  id: "pkg-duplicates",
  description: "no duplicate composition names, pipeline step names, composition resource names or rendered objects",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    const comps = compositions(ctx.pkg);
    for (const [name, list] of duplicates(comps, (c) => c.name)) {
      findings.push({
        resource: name,
        file: list[0]!.file,
        message: `${list.length} Compositions are named ${name} (in ${list.map((c) => c.file).join(", ")})`,
        hint: "give each Composition its own name",
      });
    }
    for (const c of comps) {
      for (const [step] of duplicates(pipelineSteps(c.object), (s) => s.step)) {
        findings.push({
          resource: c.name,
          file: c.file,
          message: `pipeline step ${step} appears more than once in composition ${c.name}`,
          hint: "step names must be unique within a pipeline",
        });
      }
    }
    for (const { case: c, result } of renderedCases(ctx.cases)) {
      for (const [name, list] of duplicates(result.resources, (r) => r.name)) {
        findings.push({
          case: c.case,
          resource: name,
          message: `${list.length} composed resources share the composition resource name ${name}; Crossplane keeps only one`,
          hint: "give each composed resource its own krm.kcl.dev/composition-resource-name",
        });
      }
      const identity = (r: (typeof result.resources)[number]) => {
        const name = str(r.object.metadata?.name);
        return name === undefined ? undefined : `${r.object.apiVersion} ${r.object.kind} ${str(r.object.metadata?.namespace) ?? ""}/${name}`;
      };
      for (const [id, list] of duplicates(result.resources, identity)) {
        findings.push({
          case: c.case,
          resource: list.map((r) => r.name).join(","),
          message: `${list.length} composed resources are the same object ${id.replace(/ \//, " ")}; they overwrite each other`,
          hint: "render each object once (look for a list or schema instantiated twice)",
        });
      }
    }
    return findings;
  },
};
