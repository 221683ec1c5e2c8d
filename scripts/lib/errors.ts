/**
 * Errors that reach a person. Only entry files turn them into exit codes.
 *
 * UserError: bad input or environment; its message is complete and is printed as is.
 * UsageError: bad command line; the entry prints the usage text and exits 2.
 * Anything else is a bug and is printed with its stack.
 */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown; exitCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UserError";
    this.exitCode = options?.exitCode ?? 1;
  }
}

export class UsageError extends UserError {
  constructor(message: string) {
    super(message, { exitCode: 2 });
    this.name = "UsageError";
  }
}
