/** Shared plumbing for entry files: argument parsing and turning errors into exit codes. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { environmentError, UsageError, UserError } from "./errors.js";
import { KclError } from "./kcl/engine.js";

export function parseCommandLine<T extends NonNullable<ParseArgsConfig["options"]>>(usage: string, options: T, allowPositionals = false) {
  try {
    return parseArgs({ args: process.argv.slice(2), options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${usage}`);
  }
}

/** How an error that ends a command is reported: its message, exit code and whether it is a bug. */
export interface ErrorReport {
  message: string;
  exitCode: number;
  /** true for a bug (the message then carries the stack). */
  internal: boolean;
}

/** Classifies an error that ends a command, the same way for the terminal and for --json. */
export function errorReport(caught: unknown): ErrorReport {
  // An environment error (permissions, disk full, a file in the way) is the user's to fix, not a bug.
  const err = environmentError(caught) ?? caught;
  if (err instanceof UserError) return { message: err.message, exitCode: err.exitCode, internal: false };
  if (err instanceof KclError) return { message: err.message, exitCode: 1, internal: false };
  return { message: (err as Error)?.stack ?? String(err), exitCode: 70, internal: true };
}

/** Runs an entry's main function: exit code 0, 1 for errors a person can act on, 2 for usage, 70 for bugs. */
export async function main(fn: () => Promise<number | undefined>): Promise<void> {
  try {
    process.exitCode = (await fn()) ?? 0;
  } catch (caught) {
    const r = errorReport(caught);
    process.stderr.write(r.internal ? `internal error (a bug, please report it): ${r.message}\n` : `error: ${r.message}\n`);
    process.exitCode = r.exitCode;
  }
}
