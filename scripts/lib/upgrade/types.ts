/** What an upgrade check finds: plain data, printed by format.ts. */

/**
 * Rule ids (also what --allow accepts):
 *   deleted              the old package composed it, the new one does not: Crossplane deletes it
 *   orphaned             as deleted, but the resource's policy keeps the live object (Orphan / no Delete)
 *   kind-changed         the same composition resource name now composes another kind
 *   metadata-name        a composed resource's name changed
 *   external-name        crossplane.io/external-name changed: another cloud resource
 *   immutable-field      a field the provider cannot change in place (data/immutable-fields.json)
 *   chart-version        a Helm release's chart version moved (a notice)
 *   changed              other field changes (a notice)
 *   added                newly composed (a notice)
 *   composition-selection  the case selects another composition
 *   xrd-*                the XRD: removed, version removed, field removed or retyped, default changed, …
 *   not-comparable       the case did not render with one of the packages
 */
export type Severity = "breaking" | "warning" | "notice";

export interface FieldChange {
  path: string;
  /** Absent on one side: undefined. */
  old?: unknown;
  new?: unknown;
}

export interface UpgradeFinding {
  rule: string;
  severity: Severity;
  /** The case (its name) or undefined for package-wide findings (XRD). */
  case?: string;
  /** Composition resource name, or the XRD field path for xrd-* findings. */
  crn?: string;
  /** Kind/name of the resource concerned. */
  resource?: string;
  /** One short reason. */
  message: string;
  changes?: FieldChange[];
  /** Named by --allow. */
  allowed?: boolean;
}

export interface CaseOutcome {
  case: string;
  file: string;
  status: "compared" | "not-comparable";
  oldComposition?: string;
  newComposition?: string;
  /** Renders run per package. */
  renders?: { old: number; new: number };
  oldResources?: number;
  newResources?: number;
}

export interface UpgradeReport {
  /** The old package as resolved. */
  from: { text: string; kind: string; description: string };
  /** The new package directory. */
  to: string;
  reconciles: number;
  cases: CaseOutcome[];
  findings: UpgradeFinding[];
  summary: Summary;
}

export interface Summary {
  cases: number;
  notComparable: number;
  deleted: number;
  breaking: number;
  warnings: number;
  added: number;
  changed: number;
  allowed: number;
  /** Findings that fail the check: breaking and not allowed. */
  failing: number;
}
