/** KCL engine backed by the kcl CLI: one `kcl run` process per request. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { parseKclError, parseKclJson, type KclEngine, type KclRunRequest, type KclYamlOutput } from "./engine.js";
import { toWire } from "./wire.js";
import { UserError } from "../errors.js";
import { parseYamlDocuments } from "../yamlio.js";

export class CliEngine implements KclEngine {
  readonly description: string;
  constructor(
    private readonly bin: string,
    version: string,
  ) {
    this.description = `kcl CLI ${version} (${bin})`;
  }

  async run(request: KclRunRequest): Promise<unknown[]> {
    return parseKclJson(await this.exec(request, "json"));
  }

  async runYaml(request: KclRunRequest): Promise<KclYamlOutput> {
    const yaml = await this.exec(request, "yaml");
    return { documents: parseYamlDocuments(yaml, `the output of ${this.bin} run`), yaml };
  }

  private async exec(request: KclRunRequest, format: "json" | "yaml"): Promise<string> {
    const wire = toWire(request);
    if (wire.compileOnly) {
      throw new UserError(
        `the kcl CLI (${this.bin}) cannot compile a KCL program without running it, which checking the composition steps' sources needs; unset KCL_BIN to ` +
          `use the pinned kcl-lib engine`,
      );
    }
    const tmp = mkdtempSync(join(tmpdir(), "kcl-run-"));
    try {
      const paths = wire.sources.map((s, i) => {
        const p = join(tmp, String(i), s.filename.replace(/^\/+/, ""));
        mkdirSync(dirname(p), { recursive: true });
        writeFileSync(p, s.code);
        return p;
      });
      const args = ["run", ...paths, "--format", format];
      if (wire.selector) args.push("-S", wire.selector);
      for (const [name, value] of Object.entries(wire.options)) args.push("-D", `${name}=${value}`);
      const { execa } = await import("execa");
      const r = await execa(this.bin, args, { cwd: wire.workDir, reject: false, all: true });
      if (r.exitCode !== 0) {
        const names = new Map(paths.map((p, i) => [p, wire.sources[i]!.filename]));
        throw parseKclError(String(r.all ?? r.stderr), (p) => names.get(p) ?? (p.startsWith(tmp) ? relative(tmp, p).replace(/^\d+\//, "") : p));
      }
      return String(r.stdout);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {}
}
