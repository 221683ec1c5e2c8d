/**
 * Generates the Chainsaw end-to-end tests under tests/e2e/ from the golden files, so that what
 * they expect in a real cluster is exactly what the render produces (never written by hand).
 *
 * Per selected case: tests/e2e/<case>/
 *   chainsaw-test.yaml   the Test: package installed, XR applied, composed resources, Usages,
 *                        (envoyGateway on) the Envoy AI Gateway bundle, and the XR Synced and
 *                        Ready as real Crossplane reports them
 *   xr.yaml              the case's Cluster (tests/cases/<case>.yaml)
 *   composed.yaml        every composed resource of the golden file except Usages
 *   usages.yaml          the Usages of the golden file (when it has any)
 *   ai-gateway.yaml      the Envoy AI Gateway bundle's resources and their Usages (when present)
 *
 * Each expected resource keeps apiVersion, kind, name, namespace, the composition resource name
 * annotation, the composite label and the whole spec of the golden file: Chainsaw checks that
 * a live object holds those values (fields added by defaulting do not matter). Owner references
 * (the XR's uid is only known in the cluster) and status are left out.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { readYamlFile, toYamlStream } from "../yamlio.js";
import { AI_GATEWAY_INLINE_CRDS, AI_GATEWAY_OBJECT_KINDS, ENVOY_GATEWAY_BUNDLE } from "../charts.js";
import { LAYOUT, ANNOTATION_RESOURCE_NAME } from "../paths.js";

export const E2E_DIR = LAYOUT.e2e;

/** The cases that become end-to-end tests: each cloud, and Envoy Gateway with the AI Gateway on two clouds. */
export const E2E_CASES: readonly { case: string; what: string }[] = [
  { case: "aws", what: "an EKS cluster with its network and IAM roles" },
  { case: "google", what: "a GKE cluster" },
  { case: "azure", what: "an AKS cluster" },
  { case: "app-envoy-gateway", what: "Envoy Gateway with the Envoy AI Gateway controller (EKS)" },
  { case: "google-envoy-gateway", what: "Envoy Gateway with the Envoy AI Gateway controller (GKE)" },
  { case: "all-apps", what: "every app of the catalogue and its Usage (EKS)" },
];

const ANNOTATION = ANNOTATION_RESOURCE_NAME;
const LABEL = "crossplane.io/composite";
const XRD_NAME_FALLBACK = "clusters.devopstoolkit.ai";

type Obj = Record<string, unknown> & { apiVersion: string; kind: string; metadata?: Record<string, unknown>; spec?: unknown };

export class E2eGenerationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "E2eGenerationError";
  }
}

function readDocs(path: string, display: string): Obj[] {
  return readYamlFile(path, { display, maxAliasCount: -1 }).filter((v): v is Obj => typeof v === "object" && !Array.isArray(v));
}

const meta = (o: Obj) => (o.metadata ?? {}) as { name?: string; namespace?: string; annotations?: Record<string, string>; labels?: Record<string, string> };

/*
 * Chainsaw reads every string key and value of an assertion as a kyverno-json expression when it
 * looks like one: "(…)" is evaluated, "~x.…" iterates, "… -> name" binds. A golden value such as
 * a Prometheus regex "(.+)" must stay a literal, which kyverno-json spells "\\(.+)\\". These
 * patterns follow its regular expressions (Go: "." does not match a newline, "$" is the end).
 */
const FOREACH = /^~(\w+)?\./;
const BINDING = /->\s*\w+$/;
const EXPRESSION = /^\((?:\w+;)?[^\n]+\)$/;
const ESCAPED = /^\\[^\n]+\\$/;

/** A string as a literal in a Chainsaw assertion. */
export function literal(s: string): string {
  if (!(FOREACH.test(s) || BINDING.test(s) || EXPRESSION.test(s) || ESCAPED.test(s))) return s;
  if (s.includes("\n"))
    throw new E2eGenerationError(`cannot express the multi-line value ${JSON.stringify(s.slice(0, 60))}… as a literal in a Chainsaw assertion`);
  return `\\${s}\\`;
}

/** Escapes every key and string value that Chainsaw would otherwise evaluate. */
export function literalTree(v: unknown): unknown {
  if (typeof v === "string") return literal(v);
  if (Array.isArray(v)) return v.map(literalTree);
  if (v && typeof v === "object") return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [literal(k), literalTree(x)]));
  return v;
}

/** What Chainsaw asserts for one composed resource. */
export function expectation(o: Obj): Obj {
  const m = meta(o);
  const metadata: Record<string, unknown> = {};
  if (m.name) metadata.name = m.name;
  if (m.namespace) metadata.namespace = m.namespace;
  if (m.labels?.[LABEL]) metadata.labels = { [LABEL]: m.labels[LABEL] };
  if (m.annotations?.[ANNOTATION]) metadata.annotations = { [ANNOTATION]: m.annotations[ANNOTATION] };
  return literalTree({ apiVersion: o.apiVersion, kind: o.kind, metadata, ...(o.spec !== undefined ? { spec: o.spec } : {}) }) as Obj;
}

const isUsage = (o: Obj) => o.kind === "Usage" && o.apiVersion.startsWith("protection.crossplane.io/");

function isAiGatewayResource(o: Obj): boolean {
  const forProvider = ((o.spec ?? {}) as { forProvider?: { chart?: { name?: string }; manifest?: { kind?: string; metadata?: { name?: string } } } })
    .forProvider;
  if (o.kind === "Release" && (ENVOY_GATEWAY_BUNDLE as readonly string[]).includes(forProvider?.chart?.name ?? "")) return true;
  const manifest = forProvider?.manifest;
  if (o.kind === "Object" && manifest) {
    if ((AI_GATEWAY_OBJECT_KINDS as readonly string[]).includes(manifest.kind ?? "")) return true;
    if (manifest.kind === "CustomResourceDefinition" && AI_GATEWAY_INLINE_CRDS.test(manifest.metadata?.name ?? "")) return true;
  }
  return false;
}

function usageTarget(o: Obj): string | undefined {
  return ((o.spec ?? {}) as { by?: { resourceRef?: { name?: string } } }).by?.resourceRef?.name;
}

const header = (source: string) =>
  `Generated from ${source} by scripts/lib/e2e (\`npm run lint\` fails when it is stale; \`npm run lint -- --fix\` regenerates). Do not edit.`;

export interface GenerateInput {
  root: string;
  cases?: readonly { case: string; what: string }[];
}

/** Every file of tests/e2e/ as it must be (paths relative to root). Throws E2eGenerationError when a golden or case file is missing. */
export function generateE2e(input: GenerateInput): Map<string, string> {
  const root = input.root;
  const files = new Map<string, string>();
  const compositions = existsSync(join(root, "package", "compositions.yaml"))
    ? readDocs(join(root, "package", "compositions.yaml"), "package/compositions.yaml")
        .filter((o) => o.kind === "Composition")
        .map((o) => ({ apiVersion: o.apiVersion, name: meta(o).name! }))
    : [];
  const xrd = existsSync(join(root, "package", "definition.yaml"))
    ? readDocs(join(root, "package", "definition.yaml"), "package/definition.yaml").find((o) => o.kind === "CompositeResourceDefinition")
    : undefined;
  const xrdName = (xrd?.metadata?.name as string | undefined) ?? XRD_NAME_FALLBACK;
  const xrdApiVersion = xrd?.apiVersion ?? "apiextensions.crossplane.io/v2";
  for (const { case: name, what } of input.cases ?? E2E_CASES) {
    const goldenRel = `tests/golden/${name}.yaml`;
    const caseRel = `tests/cases/${name}.yaml`;
    if (!existsSync(join(root, caseRel)))
      throw new E2eGenerationError(`${caseRel} does not exist, but the end-to-end tests use case ${name} (E2E_CASES in scripts/lib/e2e/generate.ts)`);
    if (!existsSync(join(root, goldenRel)))
      throw new E2eGenerationError(`${goldenRel} does not exist: run \`npm run check -- --update\` to write the golden files first`);
    const xrText = readFileSync(join(root, caseRel), "utf8");
    const xrDocs = readDocs(join(root, caseRel), caseRel);
    if (xrDocs.length !== 1) throw new E2eGenerationError(`${caseRel}: expected one XR document, found ${xrDocs.length}`);
    const xr = xrDocs[0]!;
    const stream = readDocs(join(root, goldenRel), goldenRel);
    const composed = stream.slice(1);
    const usages = composed.filter(isUsage);
    const managed = composed.filter((o) => !isUsage(o));
    const bundle = managed.filter(isAiGatewayResource);
    const bundleNames = new Set(bundle.map((o) => meta(o).name).filter(Boolean));
    const bundleUsages = usages.filter((u) => bundleNames.has(usageTarget(u) ?? ""));
    const dir = `${E2E_DIR}/${name}`;
    const xrNamespace = meta(xr).namespace;

    files.set(`${dir}/xr.yaml`, `# ${header(caseRel)}\n` + xrText);
    files.set(`${dir}/composed.yaml`, toYamlStream(managed.map(expectation), header(goldenRel)));
    if (usages.length) files.set(`${dir}/usages.yaml`, toYamlStream(usages.map(expectation), header(goldenRel)));
    if (bundle.length) files.set(`${dir}/ai-gateway.yaml`, toYamlStream([...bundle, ...bundleUsages].map(expectation), header(goldenRel)));

    const xrRef = { apiVersion: xr.apiVersion, kind: xr.kind, name: meta(xr).name, ...(xrNamespace ? { namespace: xrNamespace } : {}) };
    const steps: unknown[] = [
      {
        name: "package-installed",
        description: `The XRD ${xrdName} is established and the compositions exist (\`npm run e2e\` and \`npm run cluster -- up\` install it).`,
        try: [
          {
            assert: {
              resource: {
                apiVersion: xrdApiVersion,
                kind: "CompositeResourceDefinition",
                metadata: { name: xrdName },
                status: { "(conditions[?type == 'Established'])": [{ status: "True" }] },
              },
            },
          },
          ...compositions.map((c) => ({ assert: { resource: { apiVersion: c.apiVersion, kind: "Composition", metadata: { name: c.name } } } })),
        ],
      },
      {
        name: "xr-applies",
        description: `The ${xr.kind} of ${caseRel} is accepted by the API server.`,
        try: [
          ...(xrNamespace ? [{ apply: { resource: { apiVersion: "v1", kind: "Namespace", metadata: { name: xrNamespace } } } }] : []),
          { apply: { file: "xr.yaml" } },
          {
            assert: {
              resource: { apiVersion: xr.apiVersion, kind: xr.kind, metadata: { name: meta(xr).name, ...(xrNamespace ? { namespace: xrNamespace } : {}) } },
            },
          },
        ],
      },
      {
        name: "composed-resources",
        description: `The ${managed.length} composed resources of ${goldenRel} appear with the golden file's spec.`,
        try: [{ assert: { file: "composed.yaml" } }],
        catch: [{ describe: { ...xrRef } }, { events: { ...(xrNamespace ? { namespace: xrNamespace } : {}) } }],
      },
    ];
    if (usages.length) {
      steps.push({
        name: "usages",
        description: `The ${usages.length} Usages that keep the cluster until its apps are gone appear.`,
        try: [{ assert: { file: "usages.yaml" } }],
        catch: [{ describe: { ...xrRef } }],
      });
    }
    if (bundle.length) {
      steps.push({
        name: "envoy-ai-gateway",
        description: "envoyGateway.enabled: Envoy Gateway with the full extension manager, the AI Gateway CRDs and controller, and their Usages.",
        try: [{ assert: { file: "ai-gateway.yaml" } }],
        catch: [{ describe: { ...xrRef } }],
      });
    }
    steps.push({
      name: "xr-ready",
      description:
        `Crossplane reports the ${xr.kind} Synced and Ready: every composed resource is ready (the providers' part is played by the provider ` +
        `simulator of \`npm run e2e\`).`,
      try: [
        {
          assert: {
            resource: {
              apiVersion: xr.apiVersion,
              kind: xr.kind,
              metadata: { name: meta(xr).name, ...(xrNamespace ? { namespace: xrNamespace } : {}) },
              status: { "(conditions[?type == 'Synced'])": [{ status: "True" }], "(conditions[?type == 'Ready'])": [{ status: "True" }] },
            },
          },
        },
      ],
      catch: [{ describe: { ...xrRef } }],
    });
    const test = {
      apiVersion: "chainsaw.kyverno.io/v1alpha1",
      kind: "Test",
      metadata: { name },
      spec: {
        description: `${caseRel}: ${what}. The XR is left in place (skipDelete) for inspection; \`npm run cluster -- down\` removes everything.`,
        concurrent: true,
        skipDelete: true,
        timeouts: { apply: "30s", assert: "2m" },
        steps,
      },
    };
    files.set(`${dir}/chainsaw-test.yaml`, toYamlStream([test], header(`${caseRel} and ${goldenRel}`)));
  }
  return files;
}

/** Generated files that differ from disk, and files under tests/e2e/ that are not generated any more. */
export function staleE2eFiles(root: string, files: ReadonlyMap<string, string>): { changed: string[]; extra: string[] } {
  const changed = [...files].filter(([p, content]) => !existsSync(join(root, p)) || readFileSync(join(root, p), "utf8") !== content).map(([p]) => p);
  const extra: string[] = [];
  const base = join(root, E2E_DIR);
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
      const p = `${rel}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (!files.has(p)) extra.push(p);
    }
  };
  if (existsSync(base)) walk(E2E_DIR);
  return { changed: changed.sort(), extra: extra.sort() };
}
