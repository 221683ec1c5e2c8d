/**
 * `--engine crossplane`: the real `crossplane render` (crank, pinned in tools.json) with the
 * Development runtime, pointed at the real function-auto-ready and at the stand-in for
 * function-kcl, both listening insecurely on free loopback ports. Both servers live as long
 * as the renderer; close() stops them, and so does the process ending (also on Ctrl-C).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import type { KclEngine } from "../../kcl/engine.js";
import { ensureGoTool, type Log } from "../../tools.js";
import type { Renderer } from "../renderer.js";
import {
  checkObservedComposed,
  locatedKclMessage,
  prepareRender,
  RenderError,
  stepWhere,
  ANNOTATION_RESOURCE_NAME,
  type PreparedRender,
  type RenderOptions,
} from "../pipeline.js";
import { startStandinFunctionKcl, STANDIN_SOURCE_NAME, type StandinServer } from "../standin-function-kcl.js";
import type { ComposedResource, FunctionResult, KubeObject, LoadedPackage, RenderResult } from "../types.js";
import { isObject, sortKeys, toYamlDocs } from "../yaml.js";
import { parseYamlDocuments } from "../../yamlio.js";
import { isProcessAlive } from "../../process.js";
import { onProcessExit } from "./cleanup.js";
import { startFunctionProcess, type FunctionProcess } from "./function-process.js";

export interface CrossplaneRenderer extends Renderer {
  /** Where the stand-in for function-kcl and function-auto-ready listen. */
  readonly targets: { functionKcl: string; functionAutoReady: string };
  /** The crank binary. */
  readonly crank: string;
  /** Temp directory for crank's input files (removed by close()). */
  readonly tmpDir: string;
  /** Process id of the function-auto-ready server. */
  readonly functionPid: number | undefined;
  /** RunFunction calls the stand-in for function-kcl has answered. */
  readonly standinCalls: number;
}

const RUNTIME = "render.crossplane.io/runtime";
const RUNTIME_TARGET = "render.crossplane.io/runtime-development-target";

/** The Function objects crank needs: each functionRef of the composition, Development runtime at its server. */
function functionsYaml(p: PreparedRender, targets: CrossplaneRenderer["targets"]): string {
  const seen = new Map<string, string>();
  for (const s of p.steps) {
    if (s.kind === "other") {
      throw new RenderError(
        p.source,
        `${stepWhere(p, s)}: unsupported function ${s.functionName} in step ${s.step}; --engine crossplane runs function-kcl steps (through the stand-in ` +
          `for function-kcl) and function-auto-ready only`,
        s.step,
      );
    }
    const target = s.kind === "function-kcl" ? targets.functionKcl : targets.functionAutoReady;
    const before = seen.get(s.functionName);
    if (before && before !== target)
      throw new RenderError(
        p.source,
        `function ${s.functionName} serves both function-kcl and function-auto-ready steps; crossplane render cannot run one Function as both`,
        s.step,
      );
    seen.set(s.functionName, target);
  }
  return toYamlDocs(
    [...seen].map(([name, target]) => ({
      apiVersion: "pkg.crossplane.io/v1",
      kind: "Function",
      metadata: { name, annotations: { [RUNTIME]: "Development", [RUNTIME_TARGET]: target } },
      // Not pulled (Development runtime): names what serves the Function here.
      spec: { package: target === targets.functionKcl ? "local/stand-in-for-function-kcl" : "local/function-auto-ready" },
    })),
  );
}

/** Turns crank's failure into a message like the local engine's (step, KCL file:line). */
function crankError(p: PreparedRender, stderr: string): RenderError {
  const text = stderr.replace(/^crossplane: error: /m, "").trim();
  const fatal = /pipeline step "([^"]+)" returned a fatal result: ([\s\S]*)$/.exec(text);
  if (fatal) {
    const step = p.steps.find((s) => s.step === fatal[1]);
    let detail = fatal[2]!.trim();
    const kcl = new RegExp(`failed to run kcl function pipelines: ${STANDIN_SOURCE_NAME.replace(".", "\\.")}:(\\d+):(\\d+): ([\\s\\S]*)$`).exec(detail);
    if (step && kcl) detail = locatedKclMessage(p, step, Number(kcl[1]), Number(kcl[2]), kcl[3]!.trim());
    if (step) return new RenderError(p.source, `${stepWhere(p, step)}: ${detail}`, step.step);
  }
  return new RenderError(p.source, `crossplane render failed: ${text.split("\n").slice(0, 20).join("\n")}`);
}

/** The result from crank's output stream (XR, composed resources, and Result documents from -r). */
function resultFromStream(p: PreparedRender, docs: unknown[]): RenderResult {
  const objects = docs.filter(isObject).map((d) => sortKeys(d) as KubeObject);
  const isResult = (o: KubeObject) => o.apiVersion === "render.crossplane.io/v1beta1" && o.kind === "Result";
  const results: FunctionResult[] = objects.filter(isResult).map((r) => ({
    step: String(r.step ?? ""),
    severity: r.severity === "SEVERITY_WARNING" ? "Warning" : "Normal",
    message: String(r.message ?? ""),
  }));
  const [xr, ...composed] = objects.filter((o) => !isResult(o));
  if (!xr) throw new RenderError(p.source, "crossplane render printed no composite resource");
  const conditions = isObject(xr.status) && Array.isArray(xr.status.conditions) ? xr.status.conditions : [];
  const available = conditions.some((c) => isObject(c) && c.type === "Ready" && c.status === "True");
  // crank prints no per-resource readiness: all are ready when the XR is, otherwise it is not known here.
  const resources: ComposedResource[] = composed.map((object) => ({
    name: String(object.metadata?.annotations?.[ANNOTATION_RESOURCE_NAME] ?? ""),
    object,
    ready: available ? "True" : "Unspecified",
  }));
  checkObservedComposed(
    p,
    resources.map((r) => r.name),
  );
  return { xr, resources, composition: p.compositionName, stream: [xr, ...composed], observedXr: p.observedXr, results };
}

const TMP_PREFIX = "crossplane-render-";

/** Removes temp folders of renderers whose process was killed before it could clean up (SIGKILL). */
function removeStaleTempDirs(): void {
  let names: string[];
  try {
    names = readdirSync(tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    const m = new RegExp(`^${TMP_PREFIX}(\\d+)-`).exec(name);
    if (m && Number(m[1]) !== process.pid && !isProcessAlive(Number(m[1]))) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
}

export async function createCrossplaneRenderer(kcl: KclEngine, options: { log?: Log; timeoutSeconds?: number } = {}): Promise<CrossplaneRenderer> {
  const crank = await ensureGoTool("crossplane", options.log);
  const autoReadyBin = await ensureGoTool("function-auto-ready", options.log);
  removeStaleTempDirs();
  const tmp = mkdtempSync(join(tmpdir(), `${TMP_PREFIX}${process.pid}-`));
  let standin: StandinServer | undefined;
  let autoReady: FunctionProcess | undefined;
  // Whatever happens to this process, the function server and the temp files go with it.
  const unregister = onProcessExit(() => {
    autoReady?.killNow();
    rmSync(tmp, { recursive: true, force: true });
  });
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await Promise.all([standin?.close(), autoReady?.stop()]);
      rmSync(tmp, { recursive: true, force: true });
      unregister();
    })());
  try {
    [standin, autoReady] = await Promise.all([startStandinFunctionKcl(kcl), startFunctionProcess(autoReadyBin, "function-auto-ready")]);
  } catch (err) {
    await close();
    throw err;
  }
  const targets = { functionKcl: standin.target, functionAutoReady: autoReady.target };
  let n = 0;

  async function render(pkg: LoadedPackage, xr: KubeObject, renderOptions: RenderOptions = {}): Promise<RenderResult> {
    const p = prepareRender(pkg, xr, renderOptions);
    const functions = functionsYaml(p, targets);
    const dir = join(tmp, String(++n));
    mkdirSync(dir);
    const composition = { ...p.composition, spec: { ...(p.composition.spec as Record<string, unknown>), mode: "Pipeline" } };
    writeFileSync(join(dir, "xr.yaml"), toYamlDocs([p.xr]));
    writeFileSync(join(dir, "composition.yaml"), toYamlDocs([composition]));
    writeFileSync(join(dir, "functions.yaml"), functions);
    const args = ["render", "xr.yaml", "composition.yaml", "functions.yaml", "--include-function-results", `--timeout=${options.timeoutSeconds ?? 60}s`];
    if (p.xrd) {
      writeFileSync(join(dir, "xrd.yaml"), toYamlDocs([p.xrd]));
      args.push("--xrd=xrd.yaml");
    }
    if (renderOptions.observed?.length) {
      writeFileSync(join(dir, "observed.yaml"), toYamlDocs(renderOptions.observed));
      args.push("--observed-resources=observed.yaml");
    }
    try {
      const r = await execa(crank, args, { cwd: dir, reject: false, stripFinalNewline: false, env: { NO_COLOR: "1" } });
      if (r.exitCode !== 0) throw crankError(p, String(r.stderr || r.stdout || `exit code ${r.exitCode}`));
      return resultFromStream(p, parseYamlDocuments(String(r.stdout), "crossplane render output"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const server = standin;
  return {
    name: "crossplane",
    crank,
    targets,
    tmpDir: tmp,
    functionPid: autoReady.pid,
    get standinCalls() {
      return server.calls;
    },
    render,
    close,
  };
}
