/**
 * Benchmark of reading one chart from a large Helm repository index: a fake index of 1.2 million
 * entries (about 50 MB, helm's block layout) served on loopback, against two baselines measured
 * in the same run: fetching the same body without reading it, and JSON.parse of a JSON document
 * of the same size (what parsing the whole index would cost at the very least).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { measure, ms, ratio } from "../lib/bench/stats.js";
import { listHelmVersions } from "../lib/bump/datasources/helm-index.js";
import { HttpClient } from "../lib/bump/http.js";
import { closeServer } from "../testkit/registry.js";
import { fakeHelmIndex } from "../testkit/fake-helm-index.js";

const ENTRIES = 1_200_000;
const RUNS = 3;

export default async function helmIndexBench(): Promise<string[]> {
  const versions = ["2.18.0", "2.19.0", "2.19.1"];
  const body = Buffer.from(fakeHelmIndex({ entries: ENTRIES, chart: "keda", versions }));
  const server = createServer((_req, res) => res.writeHead(200, { "content-type": "application/yaml" }).end(body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    let peak = process.memoryUsage().rss;
    const read = await measure(
      async () => {
        const listing = await listHelmVersions(url, "keda", { http: new HttpClient(), env: {} });
        peak = Math.max(peak, process.memoryUsage().rss);
        if (listing.versions.join() !== versions.join()) throw new Error(`helm-index bench: read ${listing.versions.join()}, expected ${versions.join()}`);
      },
      RUNS,
      1,
    );
    const fetchOnly = await measure(
      async () => {
        const text = await (await fetch(`${url}/index.yaml`)).text();
        if (text.length !== body.length) throw new Error("helm-index bench: short body");
      },
      RUNS,
      1,
    );
    // About the index's size: {"n":"c","v":"1.<i>.0"} is 25–28 characters with its comma.
    const json = JSON.stringify({ entries: Array.from({ length: Math.ceil(body.length / 27) }, (_, i) => ({ n: "c", v: `1.${i}.0` })) });
    const parseJson = await measure(
      () => {
        if (!(JSON.parse(json) as { entries: unknown[] }).entries.length) throw new Error("helm-index bench: empty");
      },
      RUNS,
      1,
    );
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    return [
      `one chart from a ${mb(body.length)} index of ${ENTRIES} entries on loopback: median ${ms(read)} of ${RUNS} (process RSS at most ${mb(peak)})`,
      `fetching the same body only: median ${ms(fetchOnly)}; JSON.parse of a ${mb(json.length)} JSON document: median ${ms(parseJson)}`,
      `read / fetch only: ${ratio(read, fetchOnly)}; read / JSON.parse of the same size: ${ratio(read, parseJson)}`,
    ];
  } finally {
    await closeServer(server);
  }
}
