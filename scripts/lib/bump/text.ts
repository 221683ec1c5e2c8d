/**
 * Making text from outside (registries, indexes, URLs from the environment) safe to print:
 * control characters escaped so a registry cannot move the cursor, clear or retitle the terminal,
 * and the userinfo of a URL (user:password@) replaced so credentials never reach a log.
 */

// C0 controls, DEL, C1 controls, and the Unicode bidirectional overrides/isolates that reorder
// what a terminal shows (U+202A–U+202E, U+2066–U+2069), plus line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_EXCEPT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escapeOne = (c: string) => {
  const code = c.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
};

/** Every control character as a visible escape (ESC -> \x1b, newline -> \x0a): for one-line values. */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, escapeOne);
}

/** Like escapeControls, but keeps newlines: for whole messages whose lines we wrote. */
export function escapeControlsKeepLines(text: string): string {
  return text.replace(CONTROL_EXCEPT_NEWLINE, escapeOne);
}

const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@]*@/gi;

/** `scheme://user:password@host` -> `scheme://***@host`, anywhere in the text. */
export function redactUserinfo(text: string): string {
  return text.replace(USERINFO, "$1***@");
}

/** True when a URL-like string carries userinfo (oci://user:pw@host/…, https://token@host/…). */
export function hasUserinfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^\s/?#@]*@/i.test(url);
}

/** External text for one line of output: userinfo redacted, controls escaped. */
export function printable(text: string): string {
  return escapeControls(redactUserinfo(text));
}
