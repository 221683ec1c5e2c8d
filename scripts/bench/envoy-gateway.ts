/**
 * Envoy Gateway's own check in `npm run verify`: what gathering the real verdict for every
 * gateway-helm Release of tests/cases costs (the real chart templated by helm, one validator
 * process per Envoy Gateway version), with the validator built and the chart prepared — the
 * budget is 1 s over all cases. Baselines in the same run: the built-in model over the same
 * Releases, and the floor of one helm process and one validator process.
 */
import { execa } from "execa";
import { measure, ms, ratio } from "../lib/bench/stats.js";
import { judgeConfigs, runValidator, type Judgment } from "../lib/envoy-gateway/oracle.js";
import { preparedChart } from "../lib/envoy-gateway/chart.js";
import { ensureValidator } from "../lib/envoy-gateway/validator.js";
import { createEngine } from "../lib/kcl/index.js";
import { PACKAGE_DIR, CASES_DIR } from "../lib/paths.js";
import { renderCases } from "../lib/cases.js";
import { loadPackage } from "../lib/render/index.js";
import { ensureGoTool } from "../lib/tools.js";
import { judgeEnvoyGatewayReleases } from "../lib/verify/eg-judgments.js";
import { egConfig } from "../lib/verify/rules/eg-config.js";
import { createContext, runRules } from "../lib/verify/runner.js";
import { loadCompatibility } from "../lib/compat.js";
import { releasesOfChart, renderedCases } from "../lib/verify/resources.js";

const BUDGET_MS = 1000;

/** The values of every gateway-helm Release of the cases, in the order verify judges them. */
function gatewayValues(cases: Awaited<ReturnType<typeof renderCases>>): unknown[] {
  return renderedCases(cases).flatMap(({ result }) => releasesOfChart(result, "gateway-helm").map((r) => r.chart.values ?? {}));
}

export default async function bench(): Promise<string[]> {
  const casesDir = CASES_DIR;
  const pkg = loadPackage(PACKAGE_DIR);
  const engine = await createEngine({ workers: 2 });
  try {
    const cases = await renderCases(engine, pkg, casesDir);
    // Prime: validator built, chart prepared (what "with the validator built and the chart cached" means).
    const first = await judgeEnvoyGatewayReleases(cases);
    const judged = [...first.values()];
    const unavailable = judged.filter((j): j is Extract<Judgment, { kind: "unavailable" }> => j.kind === "unavailable");
    if (unavailable.length) throw new Error(`Envoy Gateway's own check cannot run here: ${unavailable[0]!.reason}`);
    const versions = [...new Set(judged.map((j) => j.version!))];
    const real = await measure(() => judgeEnvoyGatewayReleases(cases), 7, 1);
    // The same Releases with helm running every time: each run's values carry a key no template reads.
    const requests = judged.map((_, i) => ({ id: String(i), chartVersion: versions[0]!, namespace: "envoy-gateway-system", releaseName: "gateway-helm" }));
    const valuesOf = gatewayValues(cases);
    let nonce = 0;
    const fresh = await measure(
      () => {
        nonce++;
        return judgeConfigs(requests.map((r, i) => ({ ...r, values: { ...(valuesOf[i] as object), benchNonce: `${process.pid}-${Date.now()}-${nonce}` } })));
      },
      5,
      1,
    );
    const ctx = createContext({ pkg, cases, casesDir, compatibility: loadCompatibility() });
    const model = await measure(() => runRules(ctx, [egConfig]), 9, 2);
    const helm = await ensureGoTool("helm");
    const chart = await preparedChart(versions[0]!);
    const validator = await ensureValidator(versions[0]!, () => {});
    const config = judged.find((j): j is Extract<Judgment, { kind: "judged" }> => j.kind === "judged")!.config;
    const helmFloor = await measure(() => execa(helm, ["template", "floor", chart, "--show-only", "templates/envoy-gateway-config.yaml"]), 7, 1);
    const validatorFloor = await measure(() => runValidator(validator, [{ id: "x", config }]), 7, 1);
    return [
      `releases judged: ${judged.length} gateway-helm Releases in ${cases.length} cases, Envoy Gateway ${versions.join(", ")}`,
      `real chart + real validator, all Releases: ${ms(real)} (budget ${ms(BUDGET_MS)}: ${real <= BUDGET_MS ? "within" : "OVER"}; unchanged Releases reuse ` +
        `their cached helm output)`,
      `  the same with helm templating every Release anew: ${ms(fresh)} (budget ${ms(BUDGET_MS)}: ${fresh <= BUDGET_MS ? "within" : "OVER"})`,
      `  floor: one helm template ${ms(helmFloor)}, one validator process ${ms(validatorFloor)} (real/floor ${ratio(real, helmFloor + validatorFloor)})`,
      `built-in model, same Releases: ${ms(model)} (real/model ${ratio(real, model)})`,
    ];
  } finally {
    await engine.close();
  }
}
