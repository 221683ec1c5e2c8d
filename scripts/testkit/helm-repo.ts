/**
 * Helm HTTP repositories on 127.0.0.1 for tests and benchmarks: each repository is a path prefix
 * serving an index.yaml in Helm's format (apiVersion v1, `entries.<chart>[]` with name, version,
 * urls). Only the index is served (bump reads nothing else; tests that need real chart packages
 * made by `helm` use tests/bump/helpers.ts). Counts requests and the most served at once, and can
 * hold each answer for `delayMs` to make concurrency visible.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { stringify } from "yaml";
import { closeServer } from "./registry.js";

export interface HelmRepoServer {
  url: string;
  /** `${url}/${prefix}` */
  repoUrl(prefix: string): string;
  requests: string[];
  /** Most requests being answered at the same time. */
  maxInFlight: number;
  delayMs: number;
  close(): Promise<void>;
}

/** The index.yaml text of one repository. */
export function helmIndex(url: string, charts: Record<string, readonly string[]>): string {
  const entries: Record<string, unknown[]> = {};
  for (const [chart, versions] of Object.entries(charts)) {
    entries[chart] = versions.map((version) => ({
      apiVersion: "v2",
      name: chart,
      version,
      description: `${chart} (index served for npm run bump tests)`,
      urls: [`${url}/${chart}-${version}.tgz`],
      created: "2024-01-01T00:00:00Z",
      digest: "0".repeat(64),
    }));
  }
  return stringify({ apiVersion: "v1", entries, generated: "2024-01-01T00:00:00Z" });
}

export async function startHelmRepos(repos: Record<string, Record<string, readonly string[]>>, options: { delayMs?: number } = {}): Promise<HelmRepoServer> {
  const bodies = new Map<string, string>();
  let inFlight = 0;
  const state = { requests: [] as string[], maxInFlight: 0, delayMs: options.delayMs ?? 0 };
  const server = createServer((req, res) => {
    state.requests.push(req.url ?? "");
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    const answer = () => {
      inFlight--;
      const body = bodies.get(new URL(req.url ?? "/", "http://127.0.0.1").pathname);
      if (body === undefined) res.writeHead(404, { "content-type": "text/plain" }).end("not found");
      else res.writeHead(200, { "content-type": "application/yaml" }).end(body);
    };
    if (state.delayMs > 0) setTimeout(answer, state.delayMs);
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const [prefix, charts] of Object.entries(repos)) bodies.set(`/${prefix}/index.yaml`, helmIndex(`${url}/${prefix}`, charts));
  return Object.assign(state, { url, repoUrl: (prefix: string) => `${url}/${prefix}`, close: () => closeServer(server) });
}
