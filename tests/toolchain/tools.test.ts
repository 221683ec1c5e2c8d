import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/paths.js";
import { ensureGoTool, ensureKcl, loadPins, systemProblems } from "../../scripts/lib/tools.js";
import { UserError } from "../../scripts/lib/errors.js";

async function withEnv<T>(env: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
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

  it("names the install command for each system program it cannot install itself", async () => {
    const problems = await withEnv({ PATH: "/nonexistent", PYTHON: "/nonexistent/python3" }, () => systemProblems());
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^Go is not installed: install Go 1\.25 or newer \(https:\/\/go\.dev\/doc\/install\)/);
    expect(problems[1]).toMatch(/^\/nonexistent\/python3 with pip is not available: .*apt-get install python3 python3-pip/);
    expect(problems[2]).toMatch(/^git is not installed: .*apt-get install git/);
    expect(await systemProblems()).toEqual([]);
  });

  it("builds a tool from a Go module of this repository, and rebuilds it when a file there changes", async () => {
    const pin = loadPins().certgen;
    expect(pin.source).toBe("go-local");
    const toolsDir = mkdtempSync(join(tmpdir(), "tools-"));
    const lines: string[] = [];
    const bin = await ensureGoTool("certgen", (l) => lines.push(l), { toolsDir });
    expect(lines.filter((l) => l.startsWith("installed certgen"))).toHaveLength(1);
    const stamp = readFileSync(bin + ".pin", "utf8");
    expect(stamp).toMatch(/^tools\/certgen#[0-9a-f]{16} \.\n$/);
    // reused while nothing changed
    await ensureGoTool("certgen", (l) => lines.push(l), { toolsDir });
    expect(lines.filter((l) => l.startsWith("installed certgen"))).toHaveLength(1);
    // a stamp from other sources (as after an edit of tools/certgen) makes it build again
    execFileSync("sh", ["-c", `printf 'tools/certgen#0000000000000000 .\n' > ${JSON.stringify(bin + ".pin")}`]);
    await ensureGoTool("certgen", (l) => lines.push(l), { toolsDir });
    expect(lines.filter((l) => l.startsWith("installed certgen"))).toHaveLength(2);
    expect(readFileSync(bin + ".pin", "utf8")).toBe(stamp);
    // and what it makes is a CA-signed server certificate with the loopback address
    const out = mkdtempSync(join(tmpdir(), "certs-"));
    execFileSync(bin, ["ca", "--out", join(out, "ca")]);
    execFileSync(bin, ["cert", "--ca", join(out, "ca"), "--out", join(out, "server"), "--cn", "server", "--ip", "127.0.0.1", "--server"]);
    const { X509Certificate } = await import("node:crypto");
    const server = new X509Certificate(readFileSync(join(out, "server.crt")));
    expect(server.subjectAltName).toBe("IP Address:127.0.0.1");
    expect(server.checkIssued(new X509Certificate(readFileSync(join(out, "ca.crt"))))).toBe(true);
    expect(statSync(join(out, "server.key")).mode & 0o777).toBe(0o600);
  });
});

describe("the test suite", () => {
  it("has no test that skips: a test that cannot run fails and says why", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ts$/.test(e.name)) {
          readFileSync(p, "utf8")
            .split("\n")
            .forEach((line, i) => {
              if (/\b(it|test|describe)\.(skip|skipIf|runIf|todo)\b|\bctx\.skip\(/.test(line)) offenders.push(`${p.slice(ROOT.length + 1)}:${i + 1}`);
            });
        }
      }
    };
    walk(join(ROOT, "tests"));
    expect(offenders).toEqual([]);
  });
});
