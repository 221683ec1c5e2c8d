/**
 * Facts about the charts of the app catalogue that verify and the end-to-end tests know by name
 * (from the charts' and Envoy Gateway's own sources). A Release is identified by its chart name,
 * never by the composed resource's name.
 */

/** Envoy Gateway's chart (oci://docker.io/envoyproxy/gateway-helm). */
export const ENVOY_GATEWAY_CHART = "gateway-helm";
/** Envoy AI Gateway's controller chart. */
export const AI_GATEWAY_CHART = "ai-gateway-helm";
/** Envoy AI Gateway's CRD chart: the controller crash-loops without the aigateway.envoyproxy.io CRDs. */
export const AI_GATEWAY_CRDS_CHART = "ai-gateway-crds-helm";

/** Releases that are installed together or not at all. */
export const ENVOY_GATEWAY_BUNDLE = [ENVOY_GATEWAY_CHART, AI_GATEWAY_CRDS_CHART, AI_GATEWAY_CHART] as const;

/** Where an XR switches the bundle on (a Cluster's spec.parameters.apps.envoyGateway.enabled). */
export const ENVOY_GATEWAY_GATE = ["spec", "parameters", "apps", "envoyGateway", "enabled"] as const;

export const AI_GATEWAY_CONTROLLER = {
  /** Default of the chart value controller.fullnameOverride: the Deployment and Service name. */
  fullnameOverride: "ai-gateway-controller",
  /** The gRPC extension server Envoy Gateway calls (Service port named grpc). */
  extensionServerPort: 1063,
  extensionServerPortName: "grpc",
  /** Default of the chart value envoyGateway.namespace: where the chart expects Envoy Gateway. */
  envoyGatewayNamespace: "envoy-gateway-system",
} as const;

/** Kinds of provider-kubernetes Object manifests that belong to the Envoy AI Gateway bundle. */
export const AI_GATEWAY_OBJECT_KINDS = ["GatewayClass", "Gateway"] as const;
/** The Gateway API Inference Extension CRDs the bundle installs inline (metadata.name). */
export const AI_GATEWAY_INLINE_CRDS = /^(inferencepools|inferenceobjectives)\./;
