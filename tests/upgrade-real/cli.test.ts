/** `npm run e2e -- --upgrade`: what it refuses before it starts a control plane. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { ROOT } from "../../scripts/lib/paths.js";

const e2e = (args: string[]) => execa("node", ["scripts/run.mjs", "e2e", ...args], { cwd: ROOT, reject: false, all: true });

describe("npm run e2e -- --upgrade", () => {
  it("an older package that cannot be found: says what each try found, exit 1, nothing started", async () => {
    const r = await e2e(["--upgrade", "--from", "no/such-package-here"]);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/error: --from no\/such-package-here: cannot find the old package/);
    expect(r.all).toMatch(/a directory: no such directory/);
    expect(r.all).toMatch(/a git ref:/);
    expect(r.all).not.toMatch(/control plane|internal error/);
  });

  it("--from without --upgrade is a usage error (exit 2)", async () => {
    const r = await e2e(["--from", "v1.0.0"]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.all).toMatch(/--from, --cases, --xrs and --json go with --upgrade/);
  });
});

describe("npm run e2e -- --upgrade --cases", () => {
  it("a case that does not exist: named, with the cases there are, exit 1", async () => {
    const r = await e2e(["--upgrade", "--cases", "azure,nope"]);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/error: --cases: no case nope .*cases: .*azure/);
    expect(r.all).not.toMatch(/control plane|internal error/);
  });
});

describe("npm run e2e -- --upgrade --xrs", () => {
  it("a file without XRs: named, with what to export, exit 1, nothing started", async () => {
    const dir = mkdtempSync(join(tmpdir(), "upgrade-xrs-"));
    try {
      const file = join(dir, "xrs.yaml");
      writeFileSync(file, "# nothing here\n");
      const r = await e2e(["--upgrade", "--xrs", file]);
      expect(r.exitCode, r.all).toBe(1);
      expect(r.all).toMatch(/xrs\.yaml: no XRs in it \(expected the output of e\.g\. `kubectl get clusters\.devopstoolkit\.ai -A -o yaml`\)/);
      expect(r.all).not.toMatch(/control plane|internal error/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--xrs with --cases is refused", async () => {
    const r = await e2e(["--upgrade", "--xrs", "x.yaml", "--cases", "azure"]);
    expect(r.exitCode, r.all).toBe(1);
    expect(r.all).toMatch(/either --cases or --xrs FILE, not both/);
  });
});
