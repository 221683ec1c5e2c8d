/**
 * Which Crossplane package serves an API group. A composed resource's group must be served by a
 * provider the Configuration lists in dependsOn; packages are matched by their last path element
 * (provider-helm matches xpkg.crossplane.io/crossplane-contrib/provider-helm:v1.4.0 and any
 * other registry or organisation publishing it).
 */

export interface GroupPackages {
  /** The API group, exactly or as a pattern; named groups of the pattern fill `${…}` in packages. */
  group: string | RegExp;
  /** Any one of these packages serves the group. */
  packages: readonly string[];
}

export const GROUP_PACKAGES: readonly GroupPackages[] = [
  { group: "helm.crossplane.io", packages: ["provider-helm"] },
  { group: "helm.m.crossplane.io", packages: ["provider-helm"] },
  { group: "kubernetes.crossplane.io", packages: ["provider-kubernetes"] },
  { group: "kubernetes.m.crossplane.io", packages: ["provider-kubernetes"] },
  // Upjet providers: <service>.<cloud>[.m].upbound.io is served by provider-<cloud>-<service>,
  // the bare <cloud>[.m].upbound.io group (ProviderConfig, ResourceGroup) by the family provider.
  { group: /^(?<svc>[a-z0-9]+)\.aws(\.m)?\.upbound\.io$/, packages: ["provider-aws-${svc}"] },
  { group: /^(?<svc>[a-z0-9]+)\.gcp(\.m)?\.upbound\.io$/, packages: ["provider-gcp-${svc}"] },
  { group: /^(?<svc>[a-z0-9]+)\.azure(\.m)?\.upbound\.io$/, packages: ["provider-azure-${svc}"] },
  { group: /^aws(\.m)?\.upbound\.io$/, packages: ["provider-family-aws"] },
  { group: /^gcp(\.m)?\.upbound\.io$/, packages: ["provider-family-gcp"] },
  { group: /^azure(\.m)?\.upbound\.io$/, packages: ["provider-family-azure"] },
];

/** Groups Crossplane itself serves: no dependency needed. */
export const CROSSPLANE_GROUPS: readonly string[] = ["apiextensions.crossplane.io", "protection.crossplane.io", "pkg.crossplane.io", "ops.crossplane.io"];

/** Kubernetes' own groups ("" core, apps, batch, *.k8s.io …), which Crossplane v2 composes directly. */
export const isKubernetesGroup = (group: string) => group === "" || !group.includes(".") || group.endsWith(".k8s.io");

/** The packages that serve a group: undefined when the group is not in the table. */
export function packagesForGroup(group: string): readonly string[] | undefined {
  for (const entry of GROUP_PACKAGES) {
    if (typeof entry.group === "string") {
      if (entry.group === group) return entry.packages;
      continue;
    }
    const m = entry.group.exec(group);
    if (m) return entry.packages.map((p) => p.replace(/\$\{(\w+)\}/g, (_, k: string) => m.groups?.[k] ?? ""));
  }
  return undefined;
}
