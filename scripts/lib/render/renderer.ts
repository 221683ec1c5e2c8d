/**
 * What renders an XR (the local engine, or the real crossplane render behind the same
 * interface) and the files it reads: an XR file and an observed-resources file.
 */
import { readFileSync } from "node:fs";
import type { KclEngine } from "../kcl/engine.js";
import { displayPath } from "../paths.js";
import { parseYamlDocuments } from "../yamlio.js";
import { renderXr, RenderError, type RenderOptions } from "./pipeline.js";
import type { KubeObject, LoadedPackage, RenderResult } from "./types.js";

/** Something that renders an XR with a package: the local engine or the real crossplane render. */
export interface Renderer {
  readonly name: string;
  render(pkg: LoadedPackage, xr: KubeObject, options?: RenderOptions): Promise<RenderResult>;
  close(): Promise<void>;
}

/** The local renderer over a KCL engine (the engine stays the caller's to close). */
export function localRenderer(engine: KclEngine): Renderer {
  return { name: "local", render: (pkg, xr, options) => renderXr(engine, pkg, xr, options), close: async () => {} };
}

/** Reads an XR file: exactly one YAML document. */
export function readXrFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new RenderError(displayPath(file), `cannot read the XR file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const docs = parseYamlDocuments(text, displayPath(file));
  if (docs.length !== 1) throw new RenderError(displayPath(file), `expected exactly one YAML document (the XR), found ${docs.length}`);
  return docs[0];
}

/** Reads an observed-resources file: any number of documents. */
export function readObservedFile(file: string): KubeObject[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new RenderError(displayPath(file), `cannot read the observed resources file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  return parseYamlDocuments(text, displayPath(file)) as KubeObject[];
}
