/** YAML as people read it: one style everywhere (package files, goldens, render output). */
import { stringify } from "yaml";

/** Serialises documents as a YAML stream; key order is kept as given. */
export function toYamlStream(docs: readonly unknown[], header?: string): string {
  const body = docs.map((d) => stringify(d, { lineWidth: 0, minContentWidth: 0, aliasDuplicateObjects: false })).join("---\n");
  return (header ? header.replace(/^/gm, "# ") + "\n" : "") + body;
}
