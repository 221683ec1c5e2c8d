/** The package directory holds a Configuration, at least one Composition and the XRDs they compose. */
import { compositions } from "../package.js";
import { at, str } from "../resources.js";
import type { Rule, RuleFinding } from "../types.js";

export const pkgContents: Rule = {
  id: "pkg-contents",
  description: "the package has a Configuration (crossplane.yaml), Compositions, and an XRD for each composite type",
  severity: "error",
  check(ctx) {
    const findings: RuleFinding[] = [];
    const files = [...new Set(ctx.pkg.documents.map((d) => d.file))];
    const looked = files.length ? `its YAML files are ${files.join(", ")}` : "it has no YAML files";
    if (!ctx.pkg.configuration) {
      findings.push({
        file: ".",
        message: `${ctx.pkg.dir} has no meta.pkg.crossplane.io Configuration (${looked})`,
        hint: "a Configuration package needs crossplane.yaml; pass the package directory with --package",
      });
    }
    const comps = compositions(ctx.pkg);
    if (comps.length === 0) {
      findings.push({
        file: ".",
        message: `${ctx.pkg.dir} has no Composition (${looked}), so there is nothing to render or verify`,
        hint: "pass the package directory with --package, or run npm run build",
      });
    }
    const kinds = new Set(ctx.pkg.xrds.map((x) => `${str(at(x, "spec", "group"))}/${str(at(x, "spec", "names", "kind"))}`));
    for (const c of comps) {
      const apiVersion = str(at(c.object, "spec", "compositeTypeRef", "apiVersion")) ?? "";
      const kind = str(at(c.object, "spec", "compositeTypeRef", "kind")) ?? "";
      const group = apiVersion.split("/")[0];
      if (!kinds.has(`${group}/${kind}`)) {
        findings.push({
          resource: c.name,
          file: c.file,
          message: `composition ${c.name} composes ${kind} ${apiVersion}, but the package has no CompositeResourceDefinition for it`,
          hint: "add the XRD to the package",
        });
      }
    }
    return findings;
  },
};
