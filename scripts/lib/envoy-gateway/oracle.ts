/**
 * Envoy Gateway's configuration judged by Envoy Gateway itself: each gateway-helm Release is
 * templated with the real chart of its version, and every resulting envoy-gateway.yaml goes
 * through that version's own decoder and validation — one helm process per version and
 * namespace, one validator process per version.
 */
import { execa } from "execa";
import { ensureGoTool, type Log } from "../tools.js";
import { templateConfigs, type TemplateRequest } from "./chart.js";
import { moduleVersion } from "./module.js";
import { ensureValidator } from "./validator.js";

export { moduleVersion, Unavailable } from "./module.js";

/** What Envoy Gateway's own code says about one config file. */
export interface Verdict {
  /** The config could not be decoded: Envoy Gateway exits with this at start-up. */
  decodeError?: string;
  /** ValidateEnvoyGateway's error: Envoy Gateway exits with this at start-up. */
  error?: string;
  /** Where in the file the error comes from: the deepest key (or list index) whose removal makes Envoy Gateway accept it. */
  at?: (string | number)[];
  /** Fields Envoy Gateway's lenient decoder drops (the strict decoder's complaints). */
  dropped: string[];
  /** What Envoy Gateway logs as warnings at start-up (versions that have them). */
  warnings: string[];
}

export interface ConfigRequest {
  id: string;
  /** The Release's chart version (gateway-helm versions are Envoy Gateway's). */
  chartVersion: string | undefined;
  values: unknown;
  namespace: string;
  releaseName: string;
}

export type Judgment =
  | ({ kind: "judged"; version: string; config: string } & Verdict)
  | { kind: "template-error"; version: string; error: string }
  | { kind: "unavailable"; version?: string; reason: string };

/** Runs one validator process over every config; verdicts by id. */
export async function runValidator(bin: string, inputs: readonly { id: string; config: string }[]): Promise<Map<string, Verdict>> {
  const r = await execa(bin, [], { input: JSON.stringify(inputs), reject: false, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 });
  if (r.exitCode !== 0) throw new Error(`${bin} exited with ${r.exitCode ?? r.message}: ${String(r.stderr).trim()}`);
  const out = JSON.parse(String(r.stdout)) as ({ id: string } & Verdict)[];
  return new Map(out.map(({ id, ...v }) => [id, v]));
}

const reasonOf = (err: unknown) => (err as Error)?.message?.split("\n")[0] ?? String(err);

/** Judges every request; a version whose chart or validator cannot be had is "unavailable" with the reason. */
export async function judgeConfigs(requests: readonly ConfigRequest[], log: Log = (line) => process.stderr.write(line + "\n")): Promise<Map<string, Judgment>> {
  const out = new Map<string, Judgment>();
  const byVersion = new Map<string, ConfigRequest[]>();
  for (const r of requests) {
    const v = moduleVersion(r.chartVersion);
    if (!v) {
      out.set(r.id, { kind: "unavailable", reason: `the chart version ${JSON.stringify(r.chartVersion ?? null)} is not an Envoy Gateway release version` });
      continue;
    }
    byVersion.set(v, [...(byVersion.get(v) ?? []), r]);
  }
  let helm: Promise<string> | undefined;
  await Promise.all(
    [...byVersion].map(async ([version, group]) => {
      try {
        helm ??= ensureGoTool("helm", log);
        const [helmBin, validator] = await Promise.all([helm, ensureValidator(version, log)]);
        const templated = await templateConfigs(helmBin, version, group as TemplateRequest[]);
        const inputs: { id: string; config: string }[] = [];
        for (const r of group) {
          const t = templated.get(r.id);
          if (!t || t.error !== undefined) out.set(r.id, { kind: "template-error", version, error: t?.error ?? "not templated" });
          else inputs.push({ id: r.id, config: t.config });
        }
        if (inputs.length === 0) return;
        const verdicts = await runValidator(validator, inputs);
        for (const { id, config } of inputs) {
          const v = verdicts.get(id);
          out.set(id, v ? { kind: "judged", version, config, ...v } : { kind: "unavailable", version, reason: "the validator returned no verdict" });
        }
      } catch (err) {
        for (const r of group) out.set(r.id, { kind: "unavailable", version, reason: reasonOf(err) });
      }
    }),
  );
  return out;
}
