import { readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { ROOT } from "../paths.js";
import type { KclRunRequest, KclSource } from "./engine.js";

export interface WireRequest {
  sources: KclSource[];
  options: Record<string, string>;
  workDir: string;
  selector?: string;
  yaml?: boolean;
  compileOnly?: boolean;
}

/** Normalises a request: files are read here so every engine gets source text and names. */
export function toWire(request: KclRunRequest): WireRequest {
  const workDir = request.workDir ?? ROOT;
  const sources: KclSource[] = [];
  for (const file of request.files ?? []) {
    sources.push({ filename: file, code: readFileSync(isAbsolute(file) ? file : join(workDir, file), "utf8") });
  }
  sources.push(...(request.sources ?? []));
  if (sources.length === 0) throw new Error("KCL run request without files or sources");
  const options: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.options ?? {})) options[name] = JSON.stringify(value);
  return { sources, options, workDir, ...(request.selector ? { selector: request.selector } : {}), ...(request.compileOnly ? { compileOnly: true } : {}) };
}

/** A path KCL reports, shown relative to the working directory when it lies inside it. */
export function relativeTo(workDir: string, file: string): string {
  return isAbsolute(file) && file.startsWith(workDir + "/") ? relative(workDir, file) : file;
}
