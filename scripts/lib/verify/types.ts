/**
 * The shapes verify works with: a rule is an id, a one-line description, a default severity and
 * a pure function from the loaded package and its rendered cases to findings.
 */
import type { CompatibilityRow } from "../compat.js";
import type { KubeObject, LoadedPackage, RenderedCase } from "../render/types.js";
import type { EnvoyGatewayJudgments } from "./eg-judgments.js";
import type { ServicesResult } from "../ai-gateway/chart.js";

export type Severity = "error" | "warning";

/** One problem found by a rule. */
export interface Finding {
  rule: string;
  severity: Severity;
  /** The case (tests/cases/<case>.yaml) whose render shows the problem; absent for package-wide findings. */
  case?: string;
  /** The composed resource (composition resource name) or package location the finding is about. */
  resource?: string;
  /** A file the finding is about, relative to the package directory or absolute for case files. */
  file?: string;
  line?: number;
  message: string;
  /** What to do about it. */
  hint?: string;
}

/** What a rule returns: the runner fills in the rule id and, unless given, the rule's severity. */
export type RuleFinding = Omit<Finding, "rule" | "severity"> & { severity?: Severity };

export interface VerifyContext {
  pkg: LoadedPackage;
  cases: readonly RenderedCase[];
  /** Directory the cases were read from (for messages). */
  casesDir: string;
  /** The AI Gateway <-> Envoy Gateway compatibility table (scripts/lib/compat.ts). */
  compatibility: readonly CompatibilityRow[];
  /**
   * Envoy Gateway's own verdict on each gateway-helm Release (real chart, real validator), when
   * verify gathered it; rules fall back to their models without it.
   */
  envoyGateway?: EnvoyGatewayJudgments;
  /** The Services each ai-gateway-helm Release's chart really creates (key `${case}\0${resource}`), when verify could template it. */
  aiGatewayServices?: ReadonlyMap<string, ServicesResult>;
  /** A check that could not run is an error, not a warning (verify --strict). */
  strict?: boolean;
  /** Reads a package file (path relative to pkg.dir); verify never writes. */
  readPackageFile(file: string): string | undefined;
  /** Where line `line` of a composition step's embedded source is in the package (file relative to pkg.dir). */
  locateSource(composition: string, step: string, line: number): { file: string; line: number } | undefined;
  /** The composite resource a case file declares (its first YAML document), undefined when unreadable. */
  caseInput(c: RenderedCase): KubeObject | undefined;
}

export interface Rule {
  id: string;
  description: string;
  severity: Severity;
  check(ctx: VerifyContext): RuleFinding[];
}
