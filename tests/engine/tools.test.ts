import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureGoTool, ensureKcl } from "../../scripts/lib/tools.js";
import { UserError } from "../../scripts/lib/errors.js";

async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

describe("pinned toolchain", () => {
  it("reuses an installed KCL without installing again", async () => {
    const lines: string[] = [];
    const rt = await ensureKcl((l) => lines.push(l));
    expect(rt.version).toBe("0.13.2");
    expect(lines.filter((l) => l.startsWith("installing"))).toEqual([]);
  });

  it("warns about a KCL_BIN that does not work and uses the pinned engine", async () => {
    const lines: string[] = [];
    const rt = await withEnv({ KCL_BIN: "/nonexistent/kcl" }, () => ensureKcl((l) => lines.push(l)));
    expect(rt.kind).toBe("pylib");
    expect(lines.join("\n")).toMatch(/warning: KCL_BIN=\/nonexistent\/kcl is not usable/);
  });

  it("says what to install when neither kcl nor Python is available", async () => {
    const err = await withEnv({ PYTHON: "/nonexistent/python3", KCL_BIN: undefined, PATH: "/nonexistent" }, () =>
      ensureKcl(() => {}, { toolsDir: mkdtempSync(join(tmpdir(), "tools-")) }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/KCL is not available and cannot be installed/);
    expect((err as Error).message).toMatch(/Python 3\.10 or newer with pip/);
    expect((err as Error).message).toMatch(/KCL_BIN/);
  });

  it("says what to install when a Go tool is missing and Go is not available", async () => {
    const err = await withEnv({ PATH: "/nonexistent", ACTIONLINT_BIN: undefined }, () =>
      ensureGoTool("actionlint", () => {}, { toolsDir: mkdtempSync(join(tmpdir(), "tools-")) }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/actionlint v1\.7\.12 is not installed and Go is not available/);
    expect((err as Error).message).toMatch(/ACTIONLINT_BIN/);
  });
});
