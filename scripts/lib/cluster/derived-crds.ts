/**
 * A stand-in CRD for a managed-resource kind whose provider's namespaced (v2) CRDs the Go module
 * proxy cannot serve: derived from the provider's newest served cluster-scoped CRD of the same
 * kind (provider-gcp v1.14.0's container.gcp.upbound.io for container.gcp.m.upbound.io). The
 * derivation does what the v2 providers changed for every kind: the `.m.` group, Namespaced
 * scope, providerConfigRef as {kind, name}, writeConnectionSecretToRef as {name} (the secret is
 * in the resource's namespace), no publishConnectionDetailsTo, singleton lists (maxItems 1)
 * embedded as objects. The fields are otherwise v1's; install reports every kind served this way.
 */
import { cpSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fetchModule } from "../gomod.js";
import { readYamlDocs, type KubeObject } from "./kube.js";

export interface DerivedSource {
  /** Namespaced group (container.gcp.m.upbound.io). */
  group: string;
  /** The cluster-scoped group the CRD is derived from. */
  from: string;
  module: string;
  version: string;
  crdDir: string;
}

export const DERIVED_SOURCES: DerivedSource[] = [
  {
    group: "container.gcp.m.upbound.io",
    from: "container.gcp.upbound.io",
    module: "github.com/upbound/provider-gcp",
    version: "v1.14.0",
    crdDir: "package/crds",
  },
];

type Rec = Record<string, unknown>;

/** Upjet v2 providers turned singleton lists (maxItems 1 of objects) into embedded objects. */
export function embedSingletons(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(embedSingletons);
  if (!node || typeof node !== "object") return node;
  const n = node as Rec;
  if (n.type === "array" && n.maxItems === 1 && (n.items as Rec | undefined)?.type === "object") {
    const items = embedSingletons(n.items) as Rec;
    return { ...items, ...(n.description ? { description: n.description } : {}) };
  }
  return Object.fromEntries(Object.entries(n).map(([k, v]) => [k, embedSingletons(v)]));
}

export function deriveNamespaced(crd: KubeObject, source: DerivedSource): KubeObject {
  const c = JSON.parse(JSON.stringify(crd)) as KubeObject & { spec: Rec & { names: { plural: string }; versions: Rec[] } };
  c.spec.group = source.group;
  c.spec.scope = "Namespaced";
  c.metadata = {
    name: `${c.spec.names.plural}.${source.group}`,
    annotations: { "dot-cluster.devopstoolkit.ai/derived-from": `${source.module}@${source.version} ${crd.metadata?.name}` },
  };
  for (const v of c.spec.versions) {
    const schema = (v.schema as Rec | undefined)?.openAPIV3Schema as Rec | undefined;
    if (schema) (v.schema as Rec).openAPIV3Schema = embedSingletons(schema);
    const props = ((((v.schema as Rec).openAPIV3Schema as Rec).properties as Rec).spec as Rec | undefined)?.properties as Rec | undefined;
    if (!props) continue;
    props.providerConfigRef = { type: "object", properties: { kind: { type: "string" }, name: { type: "string" } }, required: ["kind", "name"] };
    props.writeConnectionSecretToRef = { type: "object", properties: { name: { type: "string" } }, required: ["name"] };
    delete props.publishConnectionDetailsTo;
    delete props.deletionPolicy;
  }
  delete (c as Rec).status;
  return c;
}

/** The derived CRD for group/kind, or why none can be had. */
export async function derivedCrd(group: string, kind: string, cacheDir: string): Promise<{ crd: KubeObject; note: string } | { reason: string }> {
  const source = DERIVED_SOURCES.find((s) => s.group === group);
  if (!source) return { reason: "no stand-in source is known for this group" };
  const cached = join(cacheDir, "derived", `${source.module.replace(/\//g, "+")}@${source.version}`);
  if (!existsSync(cached)) {
    const fetched = await fetchModule(source.module, source.version, join(cacheDir, "derived"));
    if (!fetched.ok) return { reason: `${source.module}@${source.version} could not be fetched (${fetched.kind}: ${fetched.message.split("\n")[0]})` };
    try {
      mkdirSync(cached, { recursive: true });
      cpSync(join(fetched.dir, source.crdDir), cached, { recursive: true, filter: (src) => !src.endsWith(".yaml") || src.includes(`/${source.from}_`) });
    } finally {
      fetched.cleanup();
    }
  }
  for (const plural of [`${kind.toLowerCase()}s`, `${kind.toLowerCase()}es`]) {
    const file = join(cached, `${source.from}_${plural}.yaml`);
    if (existsSync(file)) {
      const crd = readYamlDocs(file).find((o) => o.kind === "CustomResourceDefinition");
      if (crd)
        return {
          crd: deriveNamespaced(crd, source),
          note: `served by a stand-in CRD derived from ${source.module}@${source.version} ${source.from}/${kind} (v2 is not on the Go module proxy)`,
        };
    }
  }
  return { reason: `${source.module}@${source.version} has no CRD for ${kind} in ${source.from}` };
}
