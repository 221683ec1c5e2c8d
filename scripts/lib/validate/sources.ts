/**
 * Where the CRDs of each package the Configuration depends on come from: the package's Go
 * module on the Go module proxy (the providers commit their generated CRDs to the module).
 * Data only, no I/O.
 *
 * A package in dependsOn is matched by the last segment of its repository
 * (xpkg.upbound.io/upbound/provider-aws-eks and …/crossplane-contrib/provider-aws-eks are both
 * "provider-aws-eks"). `versions` lists module versions the Go module proxy is known to serve,
 * newest first: the proxy here refuses `@v/list`, so a version range in dependsOn is resolved
 * against this list (an exact version in dependsOn is tried as it is).
 */

export interface ModuleSource {
  /** Go module path. */
  module: string;
  /** Folder of the module that holds the CRD files (<group>_<plural>.yaml). */
  crdDir: string;
  /** Versions to try for a version range, newest first. */
  versions: string[];
  /** Set when no version of the module can be had; says why. */
  unavailable?: string;
}

export interface PackageSchemas {
  /** Last segment of the package repository. */
  package: string;
  /** Key into MODULES. */
  module: string;
  /** API groups the package serves. */
  groups: string[];
  /** Packages it brings along (a family provider), served from the same module and version. */
  brings?: string[];
  /** Validation fails when these CRDs cannot be obtained. */
  required?: boolean;
}

export const MODULES: Record<string, ModuleSource> = {
  "provider-helm": {
    module: "github.com/crossplane-contrib/provider-helm",
    crdDir: "package/crds",
    // v1.4.0: the proxy answers its .info but refuses the .zip (403).
    versions: ["v1.4.0", "v1.3.0", "v1.2.0"],
  },
  "provider-kubernetes": {
    module: "github.com/crossplane-contrib/provider-kubernetes",
    crdDir: "package/crds",
    // v1.4.1 is served but its go.mod needs Go >= 1.27.1, which `go mod download` here (Go 1.26) refuses.
    versions: ["v1.4.1", "v1.4.0", "v1.3.0", "v1.2.0"],
  },
  "provider-aws": {
    module: "github.com/upbound/provider-aws/v2",
    crdDir: "package/crds",
    // v2.0.0–v2.3.0 are refused by the proxy (403).
    versions: ["v2.4.0"],
  },
  "provider-azure": {
    module: "github.com/upbound/provider-azure/v2",
    crdDir: "package/crds",
    // v2.0.0–v2.2.0 and v2.4.0 are refused by the proxy (403); sum.golang.org has no record of v2.3.0.
    versions: ["v2.3.0"],
  },
  "provider-gcp": {
    // v2.0.0–v2.2.0 declare the module github.com/upbound/provider-gcp without the /v2 suffix (no
    // valid Go module version); v2.3.0 and later declare github.com/upbound/provider-gcp/v2. The
    // proxy here refuses v2.3.0–v2.6.0 (403), so GKE's kinds get stand-in CRDs here
    // (cluster/derived-crds.ts); where the proxy serves them (proxy.golang.org) they are used.
    module: "github.com/upbound/provider-gcp/v2",
    crdDir: "package/crds",
    versions: ["v2.6.0", "v2.5.0", "v2.4.0", "v2.3.0"],
  },
  "function-kcl": {
    module: "github.com/crossplane-contrib/function-kcl",
    crdDir: "package/input",
    versions: [],
    unavailable:
      "the Go module proxy refuses every version of github.com/crossplane-contrib/function-kcl tried (v0.10.0–v0.12.2: 403), so the KCLRun input schema " +
      "cannot be obtained",
  },
  crossplane: {
    module: "github.com/crossplane/crossplane/v2",
    crdDir: "cluster/crds",
    versions: [],
  },
};

const upjet = (cloud: "aws" | "gcp" | "azure", service: string): PackageSchemas => ({
  package: `provider-${cloud}-${service}`,
  module: `provider-${cloud}`,
  groups: [`${service}.${cloud}.upbound.io`, `${service}.${cloud}.m.upbound.io`],
  brings: [`provider-family-${cloud}`],
});

const family = (cloud: "aws" | "gcp" | "azure"): PackageSchemas => ({
  package: `provider-family-${cloud}`,
  module: `provider-${cloud}`,
  groups: [`${cloud}.upbound.io`, `${cloud}.m.upbound.io`],
});

export const PACKAGES: PackageSchemas[] = [
  { package: "provider-helm", module: "provider-helm", groups: ["helm.crossplane.io", "helm.m.crossplane.io"], required: true },
  { package: "provider-kubernetes", module: "provider-kubernetes", groups: ["kubernetes.crossplane.io", "kubernetes.m.crossplane.io"], required: true },
  upjet("aws", "eks"),
  upjet("aws", "ec2"),
  upjet("aws", "iam"),
  family("aws"),
  upjet("gcp", "container"),
  upjet("gcp", "compute"),
  family("gcp"),
  upjet("azure", "containerservice"),
  upjet("azure", "network"),
  family("azure"),
  { package: "function-kcl", module: "function-kcl", groups: ["krm.kcl.dev"] },
];

/** Crossplane's own API groups: served by the Crossplane the Configuration requires. */
export const CROSSPLANE_GROUPS = ["apiextensions.crossplane.io", "protection.crossplane.io", "pkg.crossplane.io", "ops.crossplane.io"];

/** The package entry for a dependsOn reference (registry/org/name), if the table knows it. */
export function packageFor(reference: string): PackageSchemas | undefined {
  const name = (reference.split("/").pop() ?? "").replace(/[@:].*$/, "");
  return PACKAGES.find((p) => p.package === name);
}

/** The package entry that serves an API group, if any. */
export function packageServing(group: string): PackageSchemas | undefined {
  return PACKAGES.find((p) => p.groups.includes(group));
}
