/**
 * scripts/lib/gomod.ts, the one `go mod download -json`: a module in Go's cache comes back as its
 * directory; a failure carries go's message sorted into unavailable / offline / failed, and a
 * machine without Go says so.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { classifyGoError, goModDownload } from "../../scripts/lib/gomod.js";
import { goModulePin } from "../../scripts/lib/tools.js";

const scratch = mkdtempSync(join(tmpdir(), "gomod-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("goModDownload", () => {
  it("returns the directory of a module version (the pinned crossplane, which the toolchain holds)", async () => {
    const pin = goModulePin("crossplane");
    const r = await goModDownload(pin.module, pin.version, { env: { GOFLAGS: "-mod=readonly" } });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    if (r.ok) expect(existsSync(join(r.dir, "go.mod"))).toBe(true);
  });

  it("a proxy it may not reach is 'offline', with go's message", async () => {
    const pin = goModulePin("crossplane");
    const r = await goModDownload(pin.module, pin.version, { env: { GOPROXY: "off", GOMODCACHE: join(scratch, "empty"), GOFLAGS: "-modcacherw" } });
    expect(r).toMatchObject({ ok: false, kind: "offline", goMissing: false });
    if (!r.ok) expect(r.message).toMatch(/GOPROXY=off/);
  });

  it("no go command: says so", async () => {
    const r = await goModDownload("example.com/m", "v1.0.0", { env: { PATH: "/nonexistent" } });
    expect(r).toMatchObject({ ok: false, goMissing: true, message: "the go command is not installed" });
  });

  it("sorts go's messages", () => {
    expect(classifyGoError("dial tcp: lookup proxy.golang.org: no such host")).toBe("offline");
    expect(classifyGoError("reading https://proxy.golang.org/x/@v/v9.9.9.info: 404 Not Found")).toBe("unavailable");
    expect(classifyGoError("go: x@v1.0.0 requires go >= 1.99")).toBe("unavailable");
    expect(classifyGoError("zip: not a valid zip file")).toBe("failed");
  });
});
