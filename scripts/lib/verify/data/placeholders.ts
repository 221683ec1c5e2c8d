/**
 * Leftovers of textual templating in embedded sources. dot-kubernetes replaced CLUSTER_API_VERSION
 * in its embedded KCL by string substitution; a token that escapes the substitution ships as is.
 */

/** Tokens that are placeholders wherever they appear (code, strings, comments). */
export const KNOWN_PLACEHOLDERS: readonly string[] = ["CLUSTER_API_VERSION", "CLUSTER_KIND"];

/** Markers of unfinished templating, anywhere: REPLACE_ME, CHANGEME, *PLACEHOLDER*, __TOKEN__, {{ .Value }}. */
export const PLACEHOLDER_MARKERS: readonly RegExp[] = [
  /\b(?:REPLACE_?ME|CHANGE_?ME|[A-Z0-9_]*PLACEHOLDER[A-Z0-9_]*)\b/g,
  /__[A-Z][A-Z0-9_]*__/g,
  /\{\{\s*\.?[A-Za-z_][\w.]*\s*\}\}/g,
];

/**
 * An ALL_CAPS_WITH_UNDERSCORES word. In a string it is a placeholder when it is glued into a
 * larger value ("CLUSTER_NAME-nodes") or stands where an apiVersion or kind belongs; a string that
 * is only the word is an API enum value (effect = "NO_SCHEDULE") and is fine.
 */
export const CAPS_TOKEN = /\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b/g;

/** Keys whose value has a fixed shape that an ALL_CAPS word can never be. */
export const SHAPED_KEY_BEFORE = /\b(?:apiVersion|kind)\s*[=:]\s*$/;

/** Text just before / after a word inside a string that marks it as an environment variable, not a placeholder. */
export const ENV_BEFORE = /(?:\$\(?|\$\{)$/;
export const ENV_AFTER = /^=/;
