/**
 * The KCL engine boundary: run KCL files or source text with options and get the
 * evaluated documents back, or a KclError that carries file, line, column and message.
 * Implementations: a long-lived worker around the native KCL library (pylib.ts) and the
 * kcl CLI (cli.ts). Callers only see this interface.
 */

export interface KclSource {
  /** Name used in error messages and for relative imports/file reads, e.g. "kcl/apps.k". */
  filename: string;
  code: string;
}

export interface KclRunRequest {
  /** KCL files to run, paths relative to workDir or absolute. */
  files?: string[];
  /** Source text to run (appended after files). */
  sources?: KclSource[];
  /** `-D name=value` options; each value is passed as JSON so it arrives typed. */
  options?: Record<string, unknown>;
  /** Working directory for relative paths and file.read(); defaults to the repository root. */
  workDir?: string;
  /** Path selector (`kcl run -S`): output only this top-level variable; a list becomes one document per item. */
  selector?: string;
  /** Only compile (parse, resolve names, check types), evaluate nothing; resolves with no documents. */
  compileOnly?: boolean;
}

/** Documents and the YAML text KCL itself printed for them. */
export interface KclYamlOutput {
  documents: unknown[];
  yaml: string;
}

export interface KclEngine {
  /** Evaluates a program; one document per YAML document the program emits. */
  run(request: KclRunRequest): Promise<unknown[]>;
  /** Like run, and also returns KCL's own YAML rendering of the output (what `kcl run` prints). */
  runYaml(request: KclRunRequest): Promise<KclYamlOutput>;
  /** Releases the engine's resources (worker processes). Safe to call twice. */
  close(): Promise<void>;
  /** e.g. "kcl-lib 0.13.2 (worker)" */
  readonly description: string;
}

export class KclError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly kclMessage: string,
    readonly raw: string,
  ) {
    super(`${file}:${line}:${column}: ${kclMessage}`);
    this.name = "KclError";
  }
}

const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Turns KCL's error text into a KclError. KCL prints two shapes:
 *   "error[E2G22]: TypeError\n---> File kcl/x.k:1:1: expected int, got str(x)"
 *   "EvaluationError\n --> /tmp/t.k:2:1\n  |\n2 | source\n  |   message"
 * The first location is the one reported; its message is the text KCL gives for it.
 */
export function parseKclError(text: string, rewritePath: (p: string) => string = (p) => p): KclError {
  const clean = text.replace(ANSI, "").replace(/\r/g, "");
  const kind = /(?:error\[\w+\]:\s*)?(\w+Error|InvalidSyntax|\w+Warning)\b/.exec(clean)?.[1] ?? "KCL error";
  const flat = /--->\s*File\s+(.+?):(\d+)(?::(\d+))?:\s*(.+)/.exec(clean);
  if (flat) {
    const [, file, line, col, msg] = flat;
    return new KclError(rewritePath(file!), Number(line), Number(col ?? 1), `${kind}: ${msg!.trim()}`, clean);
  }
  const arrow = /-->\s*(.+?):(\d+):(\d+)/.exec(clean);
  if (arrow) {
    const [, file, line, col] = arrow;
    const after = clean.slice(arrow.index + arrow[0].length).split("\n");
    // The message is the first "|"-gutter line after the source excerpt that is not the excerpt itself.
    const gutter = after.map((l) => /^\s*\|\s?(.*)$/.exec(l)?.[1]?.trim()).filter((l): l is string => !!l && !/^[\s^~-]*$/.test(l));
    const msg = gutter[0] ?? after.find((l) => l.trim())?.trim() ?? clean.trim();
    return new KclError(rewritePath(file!), Number(line), Number(col), `${kind}: ${msg.replace(/^[\^~\s]+/, "")}`, clean);
  }
  return new KclError("<kcl>", 0, 0, clean.trim() || "KCL failed without a message", clean);
}

/** Splits KCL's JSON output: one JSON value per document (one per line for streams). */
export function parseKclJson(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  try {
    return [JSON.parse(trimmed)];
  } catch {
    return trimmed
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l) as unknown);
  }
}
