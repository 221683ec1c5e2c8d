import { afterAll, beforeAll } from "vitest";
import { createEngine, type EngineOptions, type KclEngine, type KclRunRequest } from "../../scripts/lib/kcl/index.js";

/**
 * One KCL engine for a test file: created before its tests run and closed after them. The
 * returned object is usable at once (e.g. passed to helpers) and forwards to that engine.
 */
export function useEngine(options?: EngineOptions): KclEngine {
  let engine: KclEngine | undefined;
  beforeAll(async () => {
    engine = await createEngine(options);
  });
  afterAll(async () => {
    await engine?.close();
  });
  const current = () => {
    if (!engine) throw new Error("the KCL engine is only available inside tests");
    return engine;
  };
  return {
    run: (request: KclRunRequest) => current().run(request),
    runYaml: (request: KclRunRequest) => current().runYaml(request),
    close: async () => {},
    get description() {
      return current().description;
    },
  };
}
