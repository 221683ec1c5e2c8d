/**
 * The model verify falls back to (scripts/lib/verify/envoy-gateway.ts) agrees with Envoy Gateway's
 * own decoder and validation — the real gateway-helm chart and the real validator — on a corpus of
 * mutated configs, for the Envoy Gateway versions the compatibility table pairs with the pinned
 * AI Gateway and the newest.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { judgeConfigs, type Judgment } from "../../scripts/lib/envoy-gateway/oracle.js";
import { fromModel } from "../../scripts/lib/verify/rules/eg-config.js";
import { mutations, type Json, type Mutation } from "./corpus.js";
import { goldenGatewayRelease, versionsUnderTest } from "./shared.js";

const shipped = goldenGatewayRelease("app-envoy-gateway");
const corpus: Mutation[] = mutations((shipped.values.config as Json).envoyGateway as Json);
const versions = versionsUnderTest();

describe("the corpus", () => {
  it("covers every field the model knows, each hook, both forms, for at least three Envoy Gateway versions", () => {
    expect(versions.length).toBeGreaterThanOrEqual(3);
    expect(versions).toContain(shipped.version.startsWith("v") ? shipped.version : `v${shipped.version}`);
    const names = corpus.map((m) => m.name);
    for (const form of ["extensionManager", "extensionManagers[0]"]) {
      for (const field of ["hooks", "hooks.xdsTranslator.post", "service.fqdn.port", "service.tls.certificateRef", "backendResources", "failOpen"]) {
        for (const kind of ["missing", "empty", "wrong type"]) expect(names).toContain(`${form}.${field} ${kind}`);
      }
      expect(names).toContain(`${form} hook post [Endpoints]`);
    }
  });
});

describe.each(versions)("Envoy Gateway %s", (version) => {
  let verdicts: Map<string, Judgment>;
  beforeAll(async () => {
    verdicts = await judgeConfigs(
      corpus.map((m, i) => ({
        id: String(i),
        chartVersion: version,
        values: { config: { envoyGateway: m.config } },
        namespace: shipped.namespace,
        releaseName: "gateway-helm",
      })),
    );
  });

  it("the real validator judged every config of the corpus, and the corpus has crashes, drops and clean configs", () => {
    const judged = corpus.map((_, i) => verdicts.get(String(i))!);
    expect(judged.every((j) => j.kind === "judged")).toBe(true);
    const real = judged as Extract<Judgment, { kind: "judged" }>[];
    expect(real.filter((j) => j.error).length).toBeGreaterThan(10);
    expect(real.filter((j) => j.decodeError).length).toBeGreaterThan(10);
    expect(real.filter((j) => !j.error && !j.decodeError).length).toBeGreaterThan(10);
  });

  it.each(corpus.map((m, i) => [m.name, i] as const))("%s: the model says what Envoy Gateway says", (_name, i) => {
    const j = verdicts.get(String(i))!;
    if (j.kind !== "judged") throw new Error(`the real validator did not judge this config: ${JSON.stringify(j)}`);
    const model = fromModel(corpus[i]!.config, version);
    const modelDecode = model.find((f) => f.message.includes("cannot decode its config"));
    const modelCrash = model.find((f) => f.message.includes("exits at start-up with: "));
    const modelIgnored = model.filter((f) => f.message.includes("is ignored by Envoy Gateway"));
    expect({ decodes: modelDecode === undefined, crash: modelCrash?.message.split("exits at start-up with: ")[1] }).toEqual({
      decodes: j.decodeError === undefined,
      crash: j.decodeError === undefined ? j.error : undefined,
    });
    expect(modelIgnored.length > 0).toBe(j.dropped.length > 0);
  });
});
