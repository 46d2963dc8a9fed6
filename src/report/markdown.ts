// report.md: the same content as report.html for Markdown readers. Figures are linked as the
// files next to it (paths relative to --out, where report.md lives); text from input is escaped
// so it cannot turn into markup (inline HTML, links, emphasis, table cells, mathematics); the
// report's TeX goes between dollars, as the docs it quotes write it (math.ts).
import type { Block, Figure, ReportContent, Section } from "./blocks.js";
import { inlinePieces } from "./math.js";
import { shiftMarkdownHeadings } from "./md-to-html.js";

/** Escape text so Markdown shows it literally (also inside a table cell). */
export function escapeMarkdown(s: string): string {
  return s.replace(/[\\`*_[\]<>|#&$]/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : `\\${c}`)).replace(/\n/g, " ");
}

/** Paragraph text: `code spans` are kept (their content shown literally), \(TeX\) spans become $TeX$, the rest escaped. */
function inlineMd(text: string): string {
  return inlinePieces(text)
    .map((p) => (p.kind === "code" ? (p.text.includes("|") ? escapeMarkdown(p.text) : `\`${p.text}\``) : p.kind === "math" ? `$${p.text}$` : escapeMarkdown(p.text)))
    .join("");
}

/** A relative path as a link target: each segment percent-encoded, so spaces or brackets cannot end the link. */
function linkTarget(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function figureMd(f: Figure): string {
  const alt = f.kind === "png" ? f.alt : f.caption;
  return `![${escapeMarkdown(alt)}](${linkTarget(f.path)})\n\n*${inlineMd(f.caption)}*`;
}

function tableMd(b: Extract<Block, { kind: "table" }>): string {
  const row = (cells: string[]) => `| ${cells.map((c) => inlineMd(c) || " ").join(" | ")} |`;
  const align = b.head.map((_, j) => (b.numeric?.[j] ? "---:" : "---"));
  const lines = [row(b.head), `| ${align.join(" | ")} |`, ...b.rows.map(row)];
  return (b.caption ? `${inlineMd(b.caption)}\n\n` : "") + lines.join("\n");
}

/** A fence longer than any backtick run inside `text`. */
function fence(text: string): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((m) => m.length));
  return "`".repeat(longest + 1);
}

function blockMd(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `### ${inlineMd(b.text)}`;
    case "p":
      return b.role === "question" ? `> ${inlineMd(b.text)}` : b.role === "warning" ? `**Note:** ${inlineMd(b.text)}` : inlineMd(b.text);
    case "list":
      return b.items.map((i) => `- ${inlineMd(i)}`).join("\n");
    case "table":
      return tableMd(b);
    case "figures":
      return b.items.map(figureMd).join("\n\n");
    case "markdown":
      return (b.title ? `#### ${inlineMd(b.title)}\n\n` : "") + shiftMarkdownHeadings(b.md, 3);
    case "code": {
      const f = fence(b.text);
      return `${f}sh\n${b.text}\n${f}`;
    }
  }
}

function sectionMd(s: Section): string {
  return [`<a id="${s.id.replace(/[^\w-]/g, "")}"></a>`, "", `## ${inlineMd(s.title)}`, "", ...s.blocks.map(blockMd).filter((t) => t !== "").flatMap((t) => [t, ""])].join("\n");
}

/** The whole document. */
export function renderMarkdown(c: ReportContent): string {
  const out = [`# ${inlineMd(c.title)}`, "", inlineMd(c.subtitle), ""];
  if (c.banner) out.push(`> **${inlineMd(c.banner.title)}**`, ">", ...c.banner.items.map((i) => `> - ${inlineMd(i)}`), "");
  out.push("Contents: " + c.sections.map((s) => `[${inlineMd(s.title)}](#${s.id.replace(/[^\w-]/g, "")})`).join(" · "), "");
  for (const s of c.sections) out.push(sectionMd(s));
  return out.join("\n") + "\n";
}
