/**
 * Envoy Gateway's extensionManager facts by version (from its config types and validation). Versions are the
 * gateway-helm chart versions, which equal Envoy Gateway's release versions.
 */

/** xdsTranslator hook names (pre and post) and the first Envoy Gateway version that has each. */
export const XDS_TRANSLATOR_HOOKS: readonly { name: string; since: string }[] = [
  { name: "VirtualHost", since: "0.0.0" },
  { name: "Route", since: "0.0.0" },
  { name: "HTTPListener", since: "0.0.0" },
  { name: "Translation", since: "0.0.0" },
  { name: "Cluster", since: "1.5.0" },
  { name: "Endpoints", since: "1.8.0" },
];

/**
 * Fields Envoy Gateway only knows from some version on. Its config decoder is not strict, so on
 * an older version such a field is silently dropped rather than rejected.
 */
export const EXTENSION_MANAGER_FIELDS_SINCE: readonly { path: readonly string[]; since: string }[] = [
  { path: ["hooks", "xdsTranslator", "translation"], since: "1.5.0" },
  { path: ["backendResources"], since: "1.5.0" },
  { path: ["maxMessageSize"], since: "1.3.0" },
  { path: ["failOpen"], since: "1.3.0" },
];

/** The list form `extensionManagers` (one entry per extension server, each with a unique name). */
export const EXTENSION_MANAGERS_SINCE = "1.8.0";

/** Envoy Gateway's own start-up error texts (api/v1alpha1/validation/envoygateway_validate.go). */
export const EG_ERRORS = {
  noHooks: "registered extension has no hooks specified",
  noService: "extension service config is empty",
  noTarget: "extension service must contain a configured target",
  manyTargets: "only one backend target can be configured for the extension manager",
  mutuallyExclusive: "extensionManager and extensionManagers are mutually exclusive",
  emptyManagers: "extensionManagers must contain at least one entry when specified",
  tlsRef: "unsupported extension server TLS certificateRef group/kind",
  mtlsRef: "unsupported extension server mTLS clientCertificateRef group/kind",
  nameRequired: (i: number) => `extension manager at index ${i}: name is required`,
  duplicateName: (i: number, name: string) => `extension manager at index ${i}: duplicate name ${JSON.stringify(name)}`,
  inManager: (name: string, err: string) => `extension manager ${JSON.stringify(name)}: ${err}`,
} as const;
