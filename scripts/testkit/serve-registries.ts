/**
 * Runs the loopback registries of a benchmark in a process of their own, so that their work
 * (token signing, paging, serving indexes) is not counted in the process being measured, as it
 * would not be with real registries. Reads one JSON line from stdin:
 *   {"oci": {"<repository>": ["tag", …]}, "helm": {"<prefix>": {"<chart>": ["version", …]}}, "maxPage": 100, "latencyMs": 0}
 * (latencyMs: every answer is held that long, as from a registry across a network)
 * pushes the tags, then prints one JSON line {"ociHost": "127.0.0.1:P", "helmUrl": "http://127.0.0.1:Q"}
 * and serves until stdin closes.
 */
import { startHelmRepos } from "./helm-repo.js";
import { startOciHarness } from "./registry.js";

interface Spec {
  oci: Record<string, string[]>;
  helm: Record<string, Record<string, string[]>>;
  maxPage?: number;
  latencyMs?: number;
}

let input = "";
process.stdin.setEncoding("utf8");
const spec = await new Promise<Spec>((resolve) => {
  const onData = (chunk: string) => {
    input += chunk;
    const nl = input.indexOf("\n");
    if (nl !== -1) {
      process.stdin.off("data", onData);
      resolve(JSON.parse(input.slice(0, nl)) as Spec);
    }
  };
  process.stdin.on("data", onData);
});
const harness = await startOciHarness({ maxPage: spec.maxPage ?? 100, latencyMs: spec.latencyMs ?? 0 });
const helm = await startHelmRepos(spec.helm, { delayMs: spec.latencyMs ?? 0 });
try {
  for (const [repository, tags] of Object.entries(spec.oci)) await harness.pushTags(repository, tags, { concurrency: 16 });
  process.stdout.write(JSON.stringify({ ociHost: harness.host, helmUrl: helm.url }) + "\n");
  await new Promise<void>((resolve) => {
    process.stdin.once("end", resolve);
    process.stdin.once("close", resolve);
    process.stdin.resume();
  });
} finally {
  await harness.stop();
  await helm.close();
}
