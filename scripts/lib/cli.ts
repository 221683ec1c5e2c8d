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

/** Runs an entry's main function: exit code 0, 1 for errors a person can act on, 2 for usage. */
export async function main(fn: () => Promise<number | void>): Promise<void> {
  try {
    process.exitCode = (await fn()) ?? 0;
  } catch (caught) {
    // An environment error (permissions, disk full, a file in the way) is the user's to fix, not a bug.
    const err = environmentError(caught) ?? caught;
    if (err instanceof UserError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else if (err instanceof KclError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = 1;
    } else {
      process.stderr.write(`internal error (a bug, please report it): ${(err as Error)?.stack ?? String(err)}\n`);
      process.exitCode = 70;
    }
  }
}
