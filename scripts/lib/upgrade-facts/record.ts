/**
 * Records the upgrade facts of an older package from its own git history: its package/ rendered
 * with this repository's render on the XR states of its Chainsaw tests (tests/aws, tests/azure,
 * tests/google, which use tests/common) and on this repository's tests/cases, and its asserts
 * resolved to plain values. The result is data (names, kinds, values), not the old package's files:
 * tests/upgrade/upgrade.test.ts replays it against the current package.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UserError } from "../errors.js";
import type { KclEngine } from "../kcl/engine.js";
import { listCases } from "../cases.js";
import { loadPackage, readXrFile, renderXr } from "../render/index.js";
import type { KubeObject, LoadedPackage, RenderResult } from "../render/types.js";
import { isObject } from "../render/yaml.js";
import { readYamlFile } from "../yamlio.js";
import type { Defaulter } from "./live.js";
import { liveWorld, mergePatch, replayAssert, resolveTree, type Bindings, type ResourceId } from "./replay.js";
import { LAYOUT } from "../paths.js";

/** The namespace the replayed Clusters live in (Chainsaw's $namespace). */
export const REPLAY_NAMESPACE = "upgrade-replay";
/** The Chainsaw tests replayed, in this order. */
export const TESTS = ["aws", "azure", "google"];

/** A Cluster state: the XR as the tests applied it (before the XRD's defaults) and what the old package composed for it. */
export interface FactState {
  id: string;
  xr: KubeObject;
  /** Composition resource name -> identity of the composed resource. */
  composed: Record<string, ResourceId>;
}

/** One assert document, resolved: which state it is checked on and the tree that must hold. */
export interface FactAssert {
  id: string;
  state: string;
  expect: Record<string, unknown>;
  /** Mismatches against the old package's own render (empty: it held). */
  oldPackage: string[];
}

export interface UpgradeFacts {
  source: { repository: string; commit: string };
  states: FactState[];
  asserts: FactAssert[];
  /** Cases of tests/cases the old package cannot render, with its error. */
  notRenderable: { case: string; error: string }[];
}

export interface RecordOptions {
  /** The old repository's git directory (a bare mirror works). */
  gitDir: string;
  commit: string;
  /** Shown in the facts as where they come from. */
  repository: string;
  /** Cases rendered in addition to the Chainsaw states (tests/cases). */
  casesDir: string;
  /** The providers' CRD defaults (live.ts crdDefaulter). */
  defaulter?: Defaulter;
  /** The Chainsaw test folders under tests/ to replay (default TESTS). */
  tests?: readonly string[];
}

function git(gitDir: string, args: string[]): Buffer {
  try {
    return execFileSync("git", ["-C", gitDir, ...args], { maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? "").trim();
    throw new UserError(`git -C ${gitDir} ${args.join(" ")} failed: ${stderr || String(err)}`);
  }
}

/** Extracts package/ and the replayed test folders of `commit` into a temporary directory. */
function extract(gitDir: string, commit: string, tests: readonly string[]): string {
  if (!existsSync(gitDir)) throw new UserError(`${gitDir}: no such git directory; pass the old repository's git directory (a clone or a bare mirror)`);
  const dir = mkdtempSync(join(tmpdir(), "upgrade-facts-"));
  const paths = ["package", ...tests.map((t) => `tests/${t}`), "tests/common"];
  const archive = git(gitDir, ["archive", "--format=tar", commit, ...paths]);
  execFileSync("tar", ["-x", "-C", dir], { input: archive });
  return dir;
}

const docsOf = (file: string): Record<string, unknown>[] => readYamlFile(file, { display: file }).filter(isObject) as Record<string, unknown>[];

function bindingsOf(list: unknown, into: Bindings): Bindings {
  const out = { ...into };
  for (const b of Array.isArray(list) ? list : []) if (isObject(b) && typeof b.name === "string") out[b.name] = String(b.value);
  return out;
}

function composedOf(result: RenderResult): Record<string, ResourceId> {
  return Object.fromEntries(result.resources.map((r) => [r.name, { apiVersion: r.object.apiVersion, kind: r.object.kind, name: r.object.metadata?.name }]));
}

/** The XR a state renders: the applied object in the replay namespace. */
export function stateXr(xr: KubeObject): KubeObject {
  return { ...xr, metadata: { ...(xr.metadata ?? {}), namespace: REPLAY_NAMESPACE } };
}

async function replayTest(
  engine: KclEngine,
  pkg: LoadedPackage,
  root: string,
  test: string,
  facts: UpgradeFacts,
  defaulter: Defaulter | undefined,
): Promise<void> {
  const dir = join(root, "tests", test);
  const [spec] = docsOf(join(dir, "chainsaw-test.yaml")).map((d) => (isObject(d.spec) ? d.spec : {}));
  const bindings = bindingsOf(spec?.bindings, { namespace: REPLAY_NAMESPACE });
  let applied: unknown;
  let state: { id: string; world: KubeObject[] } | undefined;
  let index = 0;
  for (const step of Array.isArray(spec?.steps) ? spec.steps : []) {
    for (const op of isObject(step) && Array.isArray(step.try) ? step.try : []) {
      index++;
      if (!isObject(op)) continue;
      const kind = ["apply", "patch", "assert"].find((k) => k in op);
      const body = kind && isObject(op[kind]) ? (op[kind] as Record<string, unknown>) : undefined;
      if (!kind || !body || typeof body.file !== "string")
        throw new UserError(`${test}/chainsaw-test.yaml operation ${index}: only apply, patch and assert with a file are replayed`);
      const file = join(dir, body.file);
      const name = body.file.startsWith("../") ? body.file.slice(3) : `${test}/${body.file}`;
      if (kind !== "assert") {
        for (const doc of docsOf(file)) applied = mergePatch(applied, resolveTree(doc, bindings));
        state = undefined;
        continue;
      }
      if (!state) {
        const xr = applied as KubeObject;
        const result = await renderXr(engine, pkg, stateXr(xr));
        state = { id: `${test}#${index}`, world: liveWorld(result, REPLAY_NAMESPACE, defaulter) };
        facts.states.push({ id: state.id, xr, composed: composedOf(result) });
      }
      const stepBindings = bindingsOf(body.bindings, bindings);
      docsOf(file).forEach((doc, i) => {
        const expect = resolveTree(doc, stepBindings) as Record<string, unknown>;
        const usage = stepBindings.usageName ? ` (${stepBindings.usageName})` : "";
        facts.asserts.push({ id: `${test}#${index} ${name}#${i + 1}${usage}`, state: state!.id, expect, oldPackage: replayAssert(state!.world, expect) });
      });
    }
  }
}

export async function recordFacts(engine: KclEngine, options: RecordOptions): Promise<UpgradeFacts> {
  const tests = options.tests ?? TESTS;
  const root = extract(options.gitDir, options.commit, tests);
  try {
    const pkg = loadPackage(join(root, LAYOUT.package));
    const facts: UpgradeFacts = { source: { repository: options.repository, commit: options.commit }, states: [], asserts: [], notRenderable: [] };
    for (const test of tests) await replayTest(engine, pkg, root, test, facts, options.defaulter);
    for (const c of listCases(options.casesDir)) {
      const xr = readXrFile(join(options.casesDir, c + ".yaml")) as KubeObject;
      try {
        const result = await renderXr(engine, pkg, xr);
        facts.states.push({ id: `cases/${c}`, xr, composed: composedOf(result) });
      } catch (err) {
        // Paths relative to the old repository, so that recording twice writes the same file.
        const message = (err instanceof Error ? err.message.split("\n")[0]! : String(err)).replaceAll(root + "/", "");
        facts.notRenderable.push({ case: c, error: message });
      }
    }
    return facts;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
