/**
 * Benchmark of `npm run bump`'s OCI resolution: a real registry on loopback (token auth, paging
 * front of 100 tags per page) holding 2,000 tags; resolving them all (challenge, token, every
 * page, version parsing) against one raw tags/list page fetch measured in the same run.
 */
import { measure, ms, ratio } from "../lib/bench/stats.js";
import { resolveChart } from "../lib/bump/datasources/index.js";
import type { ChartRef } from "../lib/bump/kclfile.js";
import { startOciHarness } from "../testkit/registry.js";

const TAGS = 2000;
const PAGE = 100;
const RUNS = 9;

export default async function bumpBench(): Promise<string[]> {
  const harness = await startOciHarness({ maxPage: PAGE });
  try {
    const repository = "envoyproxy/ai-gateway-helm";
    const tags: string[] = [];
    for (let i = 0; tags.length < TAGS; i++) {
      const version = `${Math.floor(i / 100)}.${Math.floor(i / 10) % 10}.${i % 10}`;
      tags.push(version, `v${version}`);
    }
    await harness.pushTags(repository, tags, { concurrency: 16 });
    const ref: ChartRef = {
      chart: "ai-gateway-helm",
      depName: `docker.io/${repository}`,
      datasource: "docker",
      source: `oci://docker.io/${repository}`,
      markerLine: 0,
    };
    const overrides = [{ from: "oci://docker.io/", to: `oci://${harness.host}/` }];

    let requests = 0;
    let pages = 0;
    let versions = 0;
    const resolve = await measure(async () => {
      const r = await resolveChart(ref, { env: {}, overrides });
      requests = r.requests;
      pages = r.pages ?? 0;
      versions = r.set.versions.length;
    }, RUNS);
    if (versions !== TAGS / 2) throw new Error(`bump bench: resolved ${versions} versions from ${TAGS} tags, expected ${TAGS / 2}`);

    const token = await harness.token([`repository:${repository}:pull`]);
    const page = await measure(async () => {
      const res = await fetch(`${harness.front.url}/v2/${repository}/tags/list?n=${PAGE}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { tags?: string[] };
      if (res.status !== 200 || body.tags?.length !== PAGE) throw new Error(`bump bench: raw page answered ${res.status} with ${body.tags?.length} tags`);
    }, RUNS);
    return [
      `resolve ${TAGS} tags (${versions} versions, v-twins) from a token-auth registry on loopback, ${pages} pages of ${PAGE}: ${requests} requests ` +
        `(challenge + token + ${pages} pages), median ${ms(resolve)} of ${RUNS}`,
      `one raw tags/list page (${PAGE} tags, token already held): median ${ms(page)} of ${RUNS}`,
      `resolve / one page: ${ratio(resolve, page)} (${requests} requests, ${ms(resolve / requests)} per request)`,
    ];
  } finally {
    await harness.stop();
  }
}
