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

/** What each environment error code means and what a person can do about it. */
const ENVIRONMENT: Record<string, { what: string; todo: string }> = {
  EACCES: { what: "permission denied", todo: "give your user access to it (check its owner and mode with `ls -ld`)" },
  EPERM: { what: "operation not permitted", todo: "make it writable (check `ls -ld` and `lsattr -d` for an immutable flag)" },
  EROFS: { what: "read-only file system", todo: "run from a writable checkout" },
  ENOSPC: { what: "no space left on the device", todo: "free some disk space and run again" },
  EDQUOT: { what: "disk quota exceeded", todo: "free some disk space and run again" },
  ENAMETOOLONG: { what: "file name too long", todo: "use a shorter name" },
  ENOTDIR: { what: "a file stands where a directory is needed", todo: "move that file away" },
  EISDIR: { what: "a directory stands where a file is needed", todo: "move that directory away" },
  EEXIST: { what: "already exists and is in the way", todo: "move it away" },
  EMFILE: { what: "too many open files", todo: "raise the limit (`ulimit -n`) and run again" },
  ENOENT: { what: "no such file or directory", todo: "check the path" },
};

/**
 * A file-system error from the environment (permissions, a full disk, a file where a folder
 * belongs, a name too long) as a one-line UserError naming the path and what to do; undefined
 * for anything else. `context` says what was being done, e.g. "cannot write package/".
 */
export function environmentError(err: unknown, context?: string): UserError | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  if (!e || typeof e !== "object" || typeof e.code !== "string" || typeof e.syscall !== "string") return undefined;
  const known = ENVIRONMENT[e.code];
  if (!known) return undefined;
  const path = (e as { dest?: string }).dest ?? e.path;
  const where = path ? `${displayable(path)}: ` : "";
  const head = context ? `${context}: ` : "";
  return new UserError(`${head}${where}${known.what} (${e.code}, ${e.syscall}); ${known.todo}`, { cause: err });
}

/** A path as people read it: relative to the working directory when inside it. */
function displayable(path: string): string {
  const cwd = process.cwd();
  return path.startsWith(cwd + "/") ? path.slice(cwd.length + 1) : path;
}
