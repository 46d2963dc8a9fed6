// Markdown (docs/*.md, the experiments' own .md tables) → an HTML fragment for the report, via
// `marked`, with `$…$` and `$$` blocks typeset as MathML (marked-katex-extension, math.ts). The
// page must stay inert and offline, so raw HTML in the Markdown is shown as text, links keep only
// harmless targets and images become their alt text (no external requests).
import { Marked, type Tokens } from "marked";
import markedKatex from "marked-katex-extension";
import { KATEX_OPTIONS } from "./math.js";

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Link targets kept as they are: in-page anchors, http(s), mailto and plain relative paths. */
const SAFE_HREF = /^(#|https?:|mailto:|[\w.\-/]+(#[\w-]*)?$)/i;

function parser(headingShift: number): Marked {
  // nonStandard: a formula may touch punctuation, "($x$)" (the docs hold no dollar outside math and code)
  return new Marked(markedKatex({ ...KATEX_OPTIONS, nonStandard: true }), {
    gfm: true,
    renderer: {
      html(token: Tokens.HTML | Tokens.Tag): string {
        return escapeHtml(token.text);
      },
      image(token: Tokens.Image): string {
        return escapeHtml(token.text || token.href);
      },
    },
    walkTokens(token) {
      if (token.type === "heading") (token as Tokens.Heading).depth = Math.min(6, (token as Tokens.Heading).depth + headingShift);
      if (token.type === "link" && !SAFE_HREF.test((token as Tokens.Link).href)) (token as Tokens.Link).href = "#";
    },
  });
}

/** Render Markdown to an HTML fragment; headings move down by `headingShift` levels (a doc's `#` under the report's `h2`). */
export function markdownToHtml(md: string, headingShift = 0): string {
  return parser(headingShift).parse(md, { async: false }) as string;
}

/** The same Markdown with ATX headings (outside fenced code) moved down by `shift` levels, for report.md. */
export function shiftMarkdownHeadings(md: string, shift: number): string {
  let fenced = false;
  return md
    .split("\n")
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
      if (fenced) return line;
      const m = /^(#{1,6})(\s.*)$/.exec(line);
      return m ? "#".repeat(Math.min(6, m[1].length + shift)) + m[2] : line;
    })
    .join("\n");
}

/** The level-2 sections (`## title` … up to the next `## `) of `md` whose titles match `pattern`, in order. */
export function markdownSections(md: string, pattern: RegExp): { title: string; body: string }[] {
  const out: { title: string; body: string }[] = [];
  let current: { title: string; lines: string[] } | null = null;
  let fenced = false;
  const flush = () => {
    if (current && pattern.test(current.title)) out.push({ title: current.title, body: current.lines.join("\n").trim() });
  };
  for (const line of md.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const m = fenced ? null : /^##\s+(.*)$/.exec(line);
    if (m) {
      flush();
      current = { title: m[1].trim(), lines: [] };
    } else if (current) current.lines.push(line);
  }
  flush();
  return out;
}
