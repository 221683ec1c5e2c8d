/**
 * Mutated Envoy Gateway configs for the conformance test: starting from the extension manager the
 * package ships, every field the model knows missing, empty and of the wrong type, each hook name
 * (and one that does not exist), and the same in the list form extensionManagers.
 */
import { XDS_TRANSLATOR_HOOKS } from "../../scripts/lib/verify/data/envoy-gateway.js";

export type Json = Record<string, unknown>;
export interface Mutation {
  name: string;
  /** values.config.envoyGateway */
  config: Json;
}

const clone = <T>(v: T): T => structuredClone(v);

/** Sets (or with `undefined`, deletes) the value at a path, creating maps on the way. */
function setAt(root: Json, path: readonly (string | number)[], value: unknown): void {
  let node: unknown = root;
  for (const key of path.slice(0, -1)) {
    const n = node as Record<string | number, unknown>;
    if (typeof n[key] !== "object" || n[key] === null) n[key] = {};
    node = n[key];
  }
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(node)) (node as unknown[]).splice(last as number, 1);
    else delete (node as Json)[last as string];
  } else (node as Record<string | number, unknown>)[last] = value;
}

/** Every field of an extension manager the model reads, with an empty value and a wrong-typed one. */
const FIELDS: { path: string[]; empty: unknown; wrong: unknown }[] = [
  { path: ["hooks"], empty: {}, wrong: "all" },
  { path: ["hooks", "xdsTranslator"], empty: {}, wrong: ["Route"] },
  { path: ["hooks", "xdsTranslator", "post"], empty: [], wrong: "Route" },
  { path: ["hooks", "xdsTranslator", "pre"], empty: [], wrong: 7 },
  { path: ["hooks", "xdsTranslator", "translation"], empty: {}, wrong: true },
  { path: ["service"], empty: {}, wrong: "ai-gateway-controller" },
  { path: ["service", "fqdn"], empty: {}, wrong: "ai-gateway-controller.envoy-ai-gateway-system" },
  { path: ["service", "fqdn", "hostname"], empty: "", wrong: 42 },
  { path: ["service", "fqdn", "port"], empty: 0, wrong: "1063" },
  { path: ["service", "ip"], empty: {}, wrong: "10.0.0.1" },
  { path: ["service", "unix"], empty: {}, wrong: 1 },
  { path: ["service", "host"], empty: "", wrong: { name: "x" } },
  { path: ["service", "tls"], empty: {}, wrong: "on" },
  { path: ["service", "tls", "certificateRef"], empty: {}, wrong: "ca" },
  { path: ["backendResources"], empty: [], wrong: { group: "inference.networking.k8s.io" } },
  { path: ["maxMessageSize"], empty: "", wrong: { size: 1 } },
  { path: ["failOpen"], empty: false, wrong: "yes" },
];

/** Mutations of one extension manager `em` (the shipped one), placed by `place` into a config. */
function managerMutations(em: Json, place: (em: Json) => Json, prefix: string): Mutation[] {
  const out: Mutation[] = [{ name: `${prefix}: as shipped`, config: place(clone(em)) }];
  for (const f of FIELDS) {
    const label = `${prefix}.${f.path.join(".")}`;
    const missing = clone(em);
    setAt(missing, f.path, undefined);
    out.push({ name: `${label} missing`, config: place(missing) });
    for (const [kind, value] of [
      ["empty", f.empty],
      ["wrong type", f.wrong],
    ] as const) {
      const m = clone(em);
      setAt(m, f.path, clone(value));
      out.push({ name: `${label} ${kind}`, config: place(m) });
    }
  }
  for (const hook of [...XDS_TRANSLATOR_HOOKS.map((h) => h.name), "NoSuchHook"]) {
    for (const phase of ["pre", "post"]) {
      const m = clone(em);
      setAt(m, ["hooks", "xdsTranslator", phase === "pre" ? "post" : "pre"], undefined);
      setAt(m, ["hooks", "xdsTranslator", phase], [hook]);
      out.push({ name: `${prefix} hook ${phase} [${hook}]`, config: place(m) });
    }
  }
  const twoTargets = clone(em);
  setAt(twoTargets, ["service", "ip"], { address: "10.96.0.10", port: 1063 });
  out.push({ name: `${prefix}.service fqdn and ip`, config: place(twoTargets) });
  const badRef = clone(em);
  setAt(badRef, ["service", "tls"], { certificateRef: { kind: "ConfigMap", name: "ca" } });
  out.push({ name: `${prefix}.service.tls.certificateRef a ConfigMap`, config: place(badRef) });
  const goodRef = clone(em);
  setAt(goodRef, ["service", "tls"], { certificateRef: { name: "ca" } });
  out.push({ name: `${prefix}.service.tls.certificateRef a Secret`, config: place(goodRef) });
  return out;
}

/** The corpus for a shipped values.config.envoyGateway with an extensionManager. */
export function mutations(shipped: Json): Mutation[] {
  const em = shipped.extensionManager as Json;
  const rest = clone(shipped);
  delete rest.extensionManager;
  const singular = managerMutations(em, (m) => ({ ...clone(rest), extensionManager: m }), "extensionManager");
  const plural = managerMutations({ name: "ai-gateway", ...em }, (m) => ({ ...clone(rest), extensionManagers: [m] }), "extensionManagers[0]");
  const both = { ...clone(rest), extensionManager: clone(em), extensionManagers: [{ name: "ai-gateway", ...clone(em) }] };
  const unnamed = { ...clone(rest), extensionManagers: [clone(em)] };
  const duplicate = {
    ...clone(rest),
    extensionManagers: [
      { name: "a", ...clone(em) },
      { name: "a", ...clone(em) },
    ],
  };
  const secondBroken = {
    ...clone(rest),
    extensionManagers: [
      { name: "a", ...clone(em) },
      { name: "b", backendResources: clone(em.backendResources) },
    ],
  };
  return [
    ...singular,
    ...plural,
    { name: "extensionManager and extensionManagers both set", config: both },
    { name: "extensionManagers[0] without a name", config: unnamed },
    { name: "extensionManagers an empty list", config: { ...clone(rest), extensionManagers: [] } },
    { name: "extensionManagers with a duplicate name", config: duplicate },
    { name: "extensionManagers[1] without hooks", config: secondBroken },
  ];
}
