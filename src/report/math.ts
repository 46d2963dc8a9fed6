// Mathematics in the report: TeX typeset by KaTeX into MathML when the report is written, so
// report.html shows typeset formulas with no script, no font or style sheet to fetch (browsers
// render MathML themselves) and nothing that the page's Content-Security-Policy forbids;
// report.md keeps the TeX between dollars, which Markdown viewers with math support typeset.
// Where TeX is written: docs/*.md between `$…$` (inline) or `$$` lines (display), as GitHub reads
// them; the report's own block text (blocks.ts) between `\(` and `\)`, a delimiter that paths and
// machine names do not contain by accident, as a dollar may.
import { renderToString } from "katex";

/** KaTeX's options for the report: MathML only (no HTML+CSS rendering), and bad TeX is an error, not red text on the page. */
export const KATEX_OPTIONS = { output: "mathml", throwOnError: true } as const;

/** `tex` as MathML (`<span class="katex"><math …>`), inline or as a display block; throws a KaTeX ParseError naming the position of bad TeX. */
export function texToMathml(tex: string, displayMode = false): string {
  return renderToString(tex, { ...KATEX_OPTIONS, displayMode });
}

/** A piece of block text: plain text, a `code` span, or a \(TeX\) span. */
export type Piece = { kind: "text" | "code" | "math"; text: string };

/** Block text cut into plain text, `code` spans and \(TeX\) spans (a TeX span inside a code span stays code). */
export function inlinePieces(text: string): Piece[] {
  const pieces: Piece[] = [];
  for (const part of text.split(/(`[^`]+`|\\\(.+?\\\))/)) {
    if (part === "") continue;
    if (/^`[^`]+`$/.test(part)) pieces.push({ kind: "code", text: part.slice(1, -1) });
    else if (/^\\\(.+\\\)$/.test(part)) pieces.push({ kind: "math", text: part.slice(2, -2) });
    else pieces.push({ kind: "text", text: part });
  }
  return pieces;
}
