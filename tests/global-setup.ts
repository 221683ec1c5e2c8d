// Installs the pinned KCL engine and the Go tools the tests run, and compiles scripts/ once, before test files run in parallel.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { ensureGoTool, ensureKcl } from "../scripts/lib/tools.js";
import { ROOT } from "../scripts/lib/paths.js";
import { committedVersions, ensureValidator } from "../scripts/lib/envoy-gateway/validator.js";

export default async function setup(): Promise<void> {
  await ensureKcl();
  // Go tools build for minutes on a fresh machine: do it once here, not inside a test's hook.
  for (const tool of [
    "helm",
    "crossplane",
    "function-auto-ready",
    "registry",
    "certgen",
    "etcd",
    "kube-apiserver",
    "kubectl",
    "crossplane-core",
    "chainsaw",
  ] as const)
    await ensureGoTool(tool);
  for (const version of committedVersions()) await ensureValidator(version, (l) => process.stderr.write(l + "\n"));
  execFileSync(process.execPath, [join(ROOT, "scripts", "run.mjs"), "tools", "--compile-only"], { stdio: "inherit" });
}
