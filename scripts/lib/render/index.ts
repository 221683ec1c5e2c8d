/**
 * The render layer: what a Crossplane package creates for a composite resource, computed
 * locally the way `crossplane render` computes it (see pipeline.ts), and the stream format the
 * golden files use. The cases under tests/cases are ../cases.ts.
 */
import type { KubeObject, RenderResult } from "./types.js";
import { toYamlDocs } from "./yaml.js";

export * from "./types.js";
export { loadPackage, loadPackageFromFiles } from "./package.js";
export { renderXr, prepareRender, RenderError, CONDITION_TIME, ANNOTATION_RESOURCE_NAME, LABEL_COMPOSITE, type RenderOptions } from "./pipeline.js";
export { localRenderer, readXrFile, readObservedFile, type Renderer } from "./renderer.js";
export { selectComposition, findXrd } from "./select.js";
export { parseRenderStream, sortKeys } from "./yaml.js";

/** The YAML stream `crossplane render` prints for a result (or its documents): `---` before each document, keys sorted. */
export function toRenderStream(result: RenderResult | readonly KubeObject[]): string {
  return toYamlDocs("stream" in result ? result.stream : result);
}
