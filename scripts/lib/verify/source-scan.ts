/**
 * Splits KCL (or Python-like) source text into code, string literal and comment segments, so a
 * check can treat `effect = "NO_SCHEDULE"` (an API enum value) differently from a token left in a
 * comment or glued into a larger string. Handles "…", '…', triple-quoted strings spanning lines,
 * backslash escapes and # comments.
 */

export interface Segment {
  type: "code" | "string" | "comment";
  /** The segment's text without quotes or the leading #. */
  text: string;
  /** 1-based line and column of the first character of `text`. */
  line: number;
  column: number;
}

export function scanSource(source: string): Segment[] {
  const segments: Segment[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  let start = { i: 0, line: 1, col: 1 };
  const advance = (n: number) => {
    for (let k = 0; k < n && i < source.length; k++, i++) {
      if (source[i] === "\n") {
        line++;
        col = 1;
      } else col++;
    }
  };
  const push = (type: Segment["type"], from: number, to: number, at: { line: number; col: number }) => {
    if (to > from) segments.push({ type, text: source.slice(from, to), line: at.line, column: at.col });
  };
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === "#") {
      push("code", start.i, i, start);
      advance(1);
      const at = { line, col };
      const from = i;
      while (i < source.length && source[i] !== "\n") advance(1);
      push("comment", from, i, at);
      start = { i, line, col };
      continue;
    }
    if (ch === '"' || ch === "'") {
      push("code", start.i, i, start);
      const triple = source.startsWith(ch.repeat(3), i);
      const quote = triple ? ch.repeat(3) : ch;
      advance(quote.length);
      const at = { line, col };
      const from = i;
      while (i < source.length && !source.startsWith(quote, i)) {
        if (source[i] === "\\") advance(2);
        else if (!triple && source[i] === "\n")
          break; // unterminated: stop at the line end
        else advance(1);
      }
      push("string", from, i, at);
      if (source.startsWith(quote, i)) advance(quote.length);
      start = { i, line, col };
      continue;
    }
    advance(1);
  }
  push("code", start.i, i, start);
  return segments;
}

/** Line and column of an offset inside a segment's text. */
export function positionIn(seg: Segment, offset: number): { line: number; column: number } {
  const before = seg.text.slice(0, offset);
  const nl = before.lastIndexOf("\n");
  const lines = before.split("\n").length - 1;
  return { line: seg.line + lines, column: nl < 0 ? seg.column + offset : offset - nl };
}
