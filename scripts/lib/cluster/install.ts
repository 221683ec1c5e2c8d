/**
 * Installs the package into the local control plane: the CRDs of every managed-resource kind
 * the compositions compose (the kinds of the golden files, from the providers' Go modules as
 * `npm run validate` obtains them), then package/definition.yaml (waiting until the XRD is
 * Established and its XR CRD served) and package/compositions.yaml.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { CACHE_DIR, PACKAGE_DIR, ROOT, LAYOUT } from "../paths.js";
import { loadPins } from "../tools.js";
import { obtainSchemas } from "../validate/crds.js";
import { CROSSPLANE_GROUPS } from "../validate/sources.js";
import { applyCrds, readYamlDocs, type Kube, type KubeObject, type WaitFor } from "./kube.js";
import { isManagedKind, type ManagedKind } from "./simulator.js";
import { derivedCrd } from "./derived-crds.js";

export interface MissingKind {
  apiVersion: string;
  kind: string;
  reason: string;
}

export interface InstallReport {
  /** Kinds the compositions compose (from the golden files) whose CRDs are installed. */
  served: ManagedKind[];
  /** Managed-resource kinds among them (what the provider simulator reconciles). */
  managedKinds: ManagedKind[];
  /** Kinds the compositions compose that could not be served, and why. */
  missing: MissingKind[];
  /** Kinds served by a stand-in CRD (derived-crds.ts), and from what. */
  derived: MissingKind[];
  xrd: string;
  compositions: string[];
}

/** apiVersion/kind of every composed resource in tests/golden/ (the first document of each file is the XR). */
export function composedKinds(root = ROOT): ManagedKind[] {
  const seen = new Map<string, ManagedKind>();
  const dir = join(root, LAYOUT.golden);
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()) {
    for (const o of readYamlDocs(join(dir, f)).slice(1)) seen.set(`${o.apiVersion} ${o.kind}`, { apiVersion: o.apiVersion, kind: o.kind });
  }
  return [...seen.values()].sort((a, b) => `${a.apiVersion} ${a.kind}`.localeCompare(`${b.apiVersion} ${b.kind}`));
}

const groupOf = (apiVersion: string) => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");

export async function installPackage(kube: Kube, options: { log: (l: string) => void; waitFor: WaitFor; cacheDir?: string }): Promise<InstallReport> {
  const configuration = readYamlDocs(join(PACKAGE_DIR, "crossplane.yaml"))[0];
  const schemas = await obtainSchemas({
    configuration,
    crossplaneVersion: loadPins().crossplane.version,
    cacheDir: options.cacheDir ?? join(CACHE_DIR, "crds"),
    log: options.log,
  });
  const served: ManagedKind[] = [];
  const missing: MissingKind[] = [];
  const crds: KubeObject[] = [];
  const derived: MissingKind[] = [];
  const cacheDir = options.cacheDir ?? join(CACHE_DIR, "crds");
  for (const k of composedKinds()) {
    const group = groupOf(k.apiVersion);
    const version = k.apiVersion.split("/").pop()!;
    if (group === "" || CROSSPLANE_GROUPS.includes(group)) continue; // core kinds and Crossplane's own (Usage) are served already
    const crd = schemas.crds.find((c) => c.group === group && c.kind === k.kind);
    if (!crd) {
      const source = schemas.sources.find((s) => s.groups.includes(group));
      const reason = !source
        ? `no package in package/crossplane.yaml's dependsOn serves the group ${group}`
        : !source.ok
          ? `the CRDs of ${source.package} (${source.module}) could not be obtained: ${source.reason ?? "unknown reason"}`
          : `${source.package} ${source.version} has no CRD for ${k.kind} in ${group}`;
      const standin = await derivedCrd(group, k.kind, cacheDir);
      if ("crd" in standin) {
        crds.push(standin.crd);
        served.push(k);
        derived.push({ ...k, reason: `${reason}; ${standin.note}` });
      } else missing.push({ ...k, reason: `${reason} (no stand-in: ${standin.reason})` });
      continue;
    }
    if (!crd.versions.includes(version)) {
      missing.push({ ...k, reason: `the CRD of ${crd.plural}.${group} (${crd.file}) does not serve ${version} (it serves ${crd.versions.join(", ")})` });
      continue;
    }
    crds.push(...readYamlDocs(crd.file));
    served.push(k);
  }
  // The provider configs the compositions reference are served by the same CRD sets; install a
  // kind only once even when several files name it.
  const unique = [...new Map(crds.map((c) => [c.metadata!.name!, c])).values()];
  options.log(`installing ${unique.length} provider CRDs`);
  if (unique.length) await applyCrds(kube, unique, options.waitFor);

  const { xrd: xrdName, compositions } = await applyDefinitionAndCompositions(
    kube,
    {
      xrds: readYamlDocs(join(PACKAGE_DIR, "definition.yaml")).filter((o) => o.kind === "CompositeResourceDefinition"),
      compositions: readYamlDocs(join(PACKAGE_DIR, "compositions.yaml")).filter((o) => o.kind === "Composition"),
      source: "package/",
    },
    options.waitFor,
  );
  return {
    served,
    managedKinds: served.filter((k) => isManagedKind(k.kind)),
    missing,
    derived,
    xrd: xrdName,
    compositions,
  };
}

/**
 * Applies a package's XRD (server-side, as the package manager would update it), waits until it
 * and the CRD it generates are Established, then applies its Compositions. Returns their names.
 */
export async function applyDefinitionAndCompositions(
  kube: Kube,
  pkg: { xrds: readonly KubeObject[]; compositions: readonly KubeObject[]; source: string },
  waitFor: WaitFor,
): Promise<{ xrd: string; compositions: string[] }> {
  if (pkg.xrds.length !== 1) throw new Error(`${pkg.source}: expected one CompositeResourceDefinition, found ${pkg.xrds.length}`);
  const xrd = pkg.xrds[0]!;
  await kube.apply(xrd);
  const xrdName = xrd.metadata!.name!;
  await waitFor(`the XRD ${xrdName} to be Established`, 30_000, async () => {
    const live = await kube.get(xrd.apiVersion, "CompositeResourceDefinition", xrdName);
    const conds = (live?.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)?.conditions ?? [];
    const est = conds.find((c) => c.type === "Established");
    return est?.status === "True" || `Established: ${est?.status ?? "unset"} ${est?.message ?? ""}`.trim();
  });
  await waitFor(`the CRD ${xrdName} of the XRD to be Established`, 30_000, async () => {
    const crd = await kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", xrdName);
    return (
      ((crd?.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some(
        (c) => c.type === "Established" && c.status === "True",
      ) || "not yet"
    );
  });
  kube.forgetDiscovery();
  for (const c of pkg.compositions) await kube.apply(c);
  return { xrd: xrdName, compositions: pkg.compositions.map((c) => c.metadata!.name!) };
}
