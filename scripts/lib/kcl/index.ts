import { ensureKcl, type Log } from "../tools.js";
import { CliEngine } from "./cli.js";
import type { KclEngine } from "./engine.js";
import { PylibEngine } from "./pylib.js";

export * from "./engine.js";

export interface EngineOptions {
  /** Parallel workers for the native-library engine (default 1). */
  workers?: number;
  log?: Log;
}

/** Creates the KCL engine the toolchain provides (installing the pinned one on first use). */
export async function createEngine(options: EngineOptions = {}): Promise<KclEngine> {
  const runtime = await ensureKcl(options.log);
  if (runtime.kind === "cli") return new CliEngine(runtime.bin, runtime.version);
  return new PylibEngine(runtime.python, runtime.libDir, runtime.version, options.workers ?? 1);
}

/** Runs fn with an engine and always closes it. */
export async function withEngine<T>(fn: (engine: KclEngine) => Promise<T>, options: EngineOptions = {}): Promise<T> {
  const engine = await createEngine(options);
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}
