/**
 * A small Kubernetes REST client for the local control plane (HTTPS with the cluster's CA and a
 * bearer token): server-side apply, create (optionally as a server-side dry-run), get, list,
 * status patches. Every request has a deadline.
 */
import { request } from "node:https";
import { readYamlFile } from "../yamlio.js";

export interface KubeAccess {
  /** https://127.0.0.1:PORT */
  server: string;
  /** PEM of the CA that signed the API server's certificate. */
  ca: string;
  token: string;
}

export type KubeObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string; [k: string]: unknown } };

export interface KubeResponse {
  status: number;
  body: unknown;
  text: string;
}

export class KubeError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = "KubeError";
  }
}

const FIELD_MANAGER = "dot-cluster";

export class Kube {
  /** Discovered plural names by "group/version kind". */
  private readonly resources = new Map<string, { plural: string; namespaced: boolean }>();

  constructor(readonly access: KubeAccess) {}

  raw(method: string, path: string, body?: string, contentType = "application/json", timeoutMs = 30_000): Promise<KubeResponse> {
    const url = new URL(path, this.access.server);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.access.ca,
          headers: { authorization: `Bearer ${this.access.token}`, accept: "application/json", ...(body !== undefined ? { "content-type": contentType } : {}) },
          timeout: timeoutMs,
        },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (d: string) => (text += d));
          res.on("end", () => {
            let parsed: unknown;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              parsed = undefined;
            }
            resolve({ status: res.statusCode ?? 0, body: parsed, text });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${url.pathname} got no answer within ${timeoutMs / 1000} s`)));
      req.on("error", reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }

  private async ok(method: string, path: string, body?: string, contentType?: string): Promise<unknown> {
    const r = await this.raw(method, path, body, contentType);
    if (r.status >= 200 && r.status < 300) return r.body;
    const message = (r.body as { message?: string } | undefined)?.message ?? r.text.slice(0, 500);
    throw new KubeError(`${method} ${path}: HTTP ${r.status}: ${message}`, r.status, r.body);
  }

  /** The REST path of a kind's collection (namespace given for namespaced kinds). */
  async collection(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const key = `${apiVersion} ${kind}`;
    let info = this.resources.get(key);
    if (!info) {
      const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      const list = (await this.ok("GET", base)) as { resources?: { name: string; kind: string; namespaced: boolean }[] };
      for (const r of list.resources ?? [])
        if (!r.name.includes("/")) this.resources.set(`${apiVersion} ${r.kind}`, { plural: r.name, namespaced: r.namespaced });
      info = this.resources.get(key);
      if (!info) throw new KubeError(`the API server does not serve ${kind} in ${apiVersion}`, 404, undefined);
    }
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    return info.namespaced && namespace ? `${base}/namespaces/${namespace}/${info.plural}` : `${base}/${info.plural}`;
  }

  /** Forgets discovered kinds (after CRDs were added). */
  forgetDiscovery(): void {
    this.resources.clear();
  }

  async path(o: KubeObject): Promise<string> {
    return `${await this.collection(o.apiVersion, o.kind, o.metadata?.namespace)}/${o.metadata?.name}`;
  }

  /** Server-side apply (force), as field manager dot-cluster. */
  async apply(o: KubeObject, fieldManager = FIELD_MANAGER): Promise<KubeObject> {
    return (await this.ok(
      "PATCH",
      `${await this.path(o)}?fieldManager=${fieldManager}&force=true`,
      JSON.stringify(o),
      "application/apply-patch+yaml",
    )) as KubeObject;
  }

  /** Create; with dryRun the API server validates and admits the object without storing it. */
  async create(o: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeResponse> {
    const path = await this.collection(o.apiVersion, o.kind, o.metadata?.namespace);
    return this.raw("POST", `${path}?fieldManager=${FIELD_MANAGER}${options.dryRun ? "&dryRun=All" : ""}`, JSON.stringify(o));
  }

  async get(apiVersion: string, kind: string, name: string, namespace?: string): Promise<KubeObject | undefined> {
    const r = await this.raw("GET", `${await this.collection(apiVersion, kind, namespace)}/${name}`);
    if (r.status === 404) return undefined;
    if (r.status !== 200) throw new KubeError(`GET ${kind} ${name}: HTTP ${r.status}: ${r.text.slice(0, 300)}`, r.status, r.body);
    return r.body as KubeObject;
  }

  /** Every object of a kind, in all namespaces (or in one), optionally with a label selector. */
  async list(apiVersion: string, kind: string, options: { namespace?: string; labelSelector?: string } = {}): Promise<KubeObject[]> {
    const query = options.labelSelector ? `?labelSelector=${encodeURIComponent(options.labelSelector)}` : "";
    const body = (await this.ok("GET", (await this.collection(apiVersion, kind, options.namespace)) + query)) as { items?: KubeObject[] };
    return (body.items ?? []).map((o) => ({ ...o, apiVersion, kind }));
  }

  /** Merge-patches the status subresource. */
  async patchStatus(o: KubeObject, status: unknown): Promise<void> {
    await this.ok("PATCH", `${await this.path(o)}/status`, JSON.stringify({ status }), "application/merge-patch+json");
  }
}

export function readYamlDocs(file: string): KubeObject[] {
  return (readYamlFile(file, { maxAliasCount: -1 }) as KubeObject[]).filter((o) => typeof o === "object" && o.kind);
}

/** Polls check until it answers true, for at most ms; a string answer says what is still awaited. */
export type WaitFor = (what: string, ms: number, check: () => Promise<boolean | string>) => Promise<void>;

/** Server-side applies CRDs and waits until each is Established. */
export async function applyCrds(kube: Kube, crds: readonly KubeObject[], waitFor: WaitFor): Promise<void> {
  await Promise.all(crds.map((c) => kube.apply(c)));
  const names = crds.map((c) => c.metadata!.name!);
  await waitFor(`${names.length} CRDs to be Established`, 30_000, async () => {
    const pending: string[] = [];
    for (const n of names) {
      const crd = await kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", n);
      const ok = ((crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
        (c) => c.type === "Established" && c.status === "True",
      );
      if (!ok) pending.push(n);
    }
    return pending.length === 0 || `not yet: ${pending.slice(0, 3).join(", ")}`;
  });
  kube.forgetDiscovery();
}
