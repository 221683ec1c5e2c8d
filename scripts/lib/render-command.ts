/** `npm run render`: one XR file through the local engine or the real crossplane render. */
import { withEngine } from "./kcl/index.js";
import type { Log } from "./tools.js";
import { readObservedFile, readXrFile, type Renderer, localRenderer } from "./render/renderer.js";
import { loadPackage } from "./render/package.js";
import { displayPath } from "./paths.js";
import type { KubeObject } from "./render/types.js";
import { isObject, toYamlDocs } from "./render/yaml.js";
import { RenderError } from "./render/pipeline.js";
import { checkXrs, formatXrViolations } from "./validate/xr.js";

export type EngineName = "local" | "crossplane";

export interface RenderFileOptions {
  xrFile: string;
  packageDir: string;
  composition?: string;
  observedFile?: string;
  engine?: EngineName;
  log?: Log;
}

/** Opens the renderer for an engine name and always closes it. */
export async function withRenderer<T>(engine: EngineName, fn: (renderer: Renderer) => Promise<T>, log?: Log): Promise<T> {
  if (engine === "crossplane") {
    const { createCrossplaneRenderer } = await import("./render/crossplane/renderer.js");
    return withEngine(async (kcl) => {
      const renderer = await createCrossplaneRenderer(kcl, { log });
      try {
        return await fn(renderer);
      } finally {
        await renderer.close();
      }
    });
  }
  return withEngine((kcl) => fn(localRenderer(kcl)));
}

/** Renders one XR file; returns the YAML stream crossplane render prints. */
export async function renderFile(options: RenderFileOptions): Promise<string> {
  const pkg = loadPackage(options.packageDir);
  const xr = readXrFile(options.xrFile);
  // The API server would refuse an XR its XRD forbids: so does render, before anything runs.
  if (isObject(xr) && typeof xr.apiVersion === "string" && typeof xr.kind === "string") {
    const [violations] = await checkXrs(pkg, [xr as KubeObject], { log: options.log });
    if (violations!.length) throw new RenderError(displayPath(options.xrFile), formatXrViolations(xr as KubeObject, violations!));
  }
  const observed = options.observedFile ? readObservedFile(options.observedFile) : undefined;
  const result = await withRenderer(
    options.engine ?? "local",
    (renderer) =>
      renderer.render(pkg, xr as KubeObject, {
        source: displayPath(options.xrFile),
        ...(options.composition ? { composition: options.composition } : {}),
        ...(observed ? { observed, observedSource: displayPath(options.observedFile!) } : {}),
      }),
    options.log,
  );
  return toYamlDocs(result.stream);
}
