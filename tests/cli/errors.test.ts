/**
 * environmentError(): real file-system errors of the environment become one-line user errors
 * naming the path and what to do; anything else is left alone (a bug stays a bug).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { errorReport } from "../../scripts/lib/cli.js";
import { environmentError, UserError } from "../../scripts/lib/errors.js";
import { makeUnwritable, UNWRITABLE_CODE } from "../helpers/unprivileged.js";

const dir = mkdtempSync(join(tmpdir(), "env-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("test setup: expected the call to fail");
}

describe("environmentError", () => {
  it("a folder that cannot be written (like kcl/ or package/ for a bump or build)", () => {
    const locked = join(dir, "kcl");
    mkdirSync(locked);
    const undo = makeUnwritable(locked);
    let err: unknown;
    try {
      err = thrown(() => writeFileSync(join(locked, "apps.k.tmp"), "x"));
    } finally {
      undo();
    }
    const e = environmentError(err, "cannot update kcl/apps.k");
    expect(e).toBeInstanceOf(UserError);
    expect(e!.message).toMatch(
      new RegExp(`^cannot update kcl/apps\\.k: ${locked.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/apps\\.k\\.tmp: .* \\(${UNWRITABLE_CODE}, open\\); `),
    );
    expect(e!.message).not.toContain("\n");
    expect(errorReport(err)).toMatchObject({ exitCode: 1, internal: false });
  });

  it("a name too long, a file where a folder belongs", () => {
    const long = thrown(() => writeFileSync(join(dir, "x".repeat(300)), "x"));
    expect(environmentError(long)!.message).toMatch(/: file name too long \(ENAMETOOLONG, open\); use a shorter name$/);
    writeFileSync(join(dir, "dist"), "a file");
    const notDir = thrown(() => mkdirSync(join(dir, "dist", "sub"), { recursive: true }));
    expect(environmentError(notDir)!.message).toMatch(/dist.*\((ENOTDIR|EEXIST), mkdir\); move (that file|it) away$/);
  });

  it("leaves other errors alone", () => {
    expect(environmentError(new TypeError("x is undefined"))).toBeUndefined();
    expect(environmentError(Object.assign(new Error("odd"), { code: "ERR_SOMETHING" }))).toBeUndefined();
    expect(errorReport(new TypeError("x is undefined"))).toMatchObject({ exitCode: 70, internal: true });
  });
});
