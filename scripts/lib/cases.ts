/**
 * The cases: example XRs under a cases directory (tests/cases by default), <case>.yaml (one XR)
 * and an optional <case>.observed.yaml (observed composed resources), used by check, verify,
 * validate and upgrade-check. Every case renders independently; a case that fails carries its
 * message instead of stopping the others.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "./errors.js";
import { KclError, type KclEngine } from "./kcl/engine.js";
import { displayPath } from "./paths.js";
import { localRenderer, readObservedFile, readXrFile, type Renderer } from "./render/renderer.js";
import type { KubeObject, LoadedPackage, RenderedCase } from "./render/types.js";

const OBSERVED = ".observed.yaml";
const ACTUAL = ".actual.yaml";

/** Case names under dir, sorted: every <case>.yaml that is not an .observed.yaml or .actual.yaml file. */
export function listCases(dir: string): string[] {
  if (!existsSync(dir)) throw new UserError(`${displayPath(dir)}: no such cases directory`);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".yaml") && !f.endsWith(OBSERVED) && !f.endsWith(ACTUAL))
    .map((f) => f.slice(0, -".yaml".length))
    .sort();
}

export interface CaseInput {
  case: string;
  file: string;
  observedFile?: string;
}

export function caseInputs(dir: string): CaseInput[] {
  return listCases(dir).map((c) => {
    const observedFile = join(dir, c + OBSERVED);
    return { case: c, file: join(dir, c + ".yaml"), ...(existsSync(observedFile) ? { observedFile } : {}) };
  });
}

/** Renders one case; errors a person can act on become the case's `error`. */
export async function renderCase(renderer: Renderer, pkg: LoadedPackage, input: CaseInput): Promise<RenderedCase> {
  const file = displayPath(input.file);
  try {
    const xr = readXrFile(input.file);
    const observed = input.observedFile ? readObservedFile(input.observedFile) : undefined;
    const result = await renderer.render(pkg, xr as KubeObject, {
      source: file,
      ...(observed ? { observed, observedSource: displayPath(input.observedFile!) } : {}),
    });
    return { case: input.case, file, result, ...(observed ? { observed } : {}) };
  } catch (err) {
    if (err instanceof UserError || err instanceof KclError) return { case: input.case, file, error: err.message };
    throw err;
  }
}

/** Renders every case under casesDir with a renderer, all at once (the engine spreads them over its workers). */
export async function renderCasesWith(renderer: Renderer, pkg: LoadedPackage, casesDir: string): Promise<RenderedCase[]> {
  return Promise.all(caseInputs(casesDir).map((c) => renderCase(renderer, pkg, c)));
}

/** Renders every tests/cases-style case with the local engine. */
export function renderCases(engine: KclEngine, pkg: LoadedPackage, casesDir: string): Promise<RenderedCase[]> {
  return renderCasesWith(localRenderer(engine), pkg, casesDir);
}
