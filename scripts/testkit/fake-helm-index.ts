/**
 * A fake Helm repository index for tests and benchmarks: huge (a million entries and more), in
 * the block layout `helm repo index` writes, with entries cut down to `name` and `version` (as a
 * hostile or careless repository may serve). Real helm would take minutes to index that many
 * charts, so the text is generated here; tests/bump/helm-index.test.ts checks that the same
 * reader takes what the real `helm repo index` writes.
 */

export interface FakeIndexOptions {
  /** Entries in total (the target chart's included). */
  entries: number;
  /** Entries per filler chart. */
  perChart?: number;
  /** The chart a bump looks for, and its versions (placed in the middle of the index). */
  chart: string;
  versions: readonly string[];
}

export function fakeHelmIndex(options: FakeIndexOptions): string {
  const perChart = options.perChart ?? 100;
  const parts: string[] = ["apiVersion: v1\nentries:\n"];
  const filler = options.entries - options.versions.length;
  const charts = Math.ceil(filler / perChart);
  const target = () => {
    parts.push(`  ${options.chart}:\n`);
    for (const v of options.versions) parts.push(`  - name: ${options.chart}\n    version: ${JSON.stringify(v)}\n`);
  };
  let written = 0;
  for (let c = 0; c < charts; c++) {
    if (c === charts >> 1) target();
    const name = `filler-${c.toString().padStart(6, "0")}`;
    parts.push(`  ${name}:\n`);
    for (let i = 0; i < perChart && written < filler; i++, written++) parts.push(`  - name: ${name}\n    version: 1.${i}.${c % 10}\n`);
  }
  if (charts === 0) target();
  parts.push('generated: "2026-01-01T00:00:00Z"\n');
  return parts.join("");
}
