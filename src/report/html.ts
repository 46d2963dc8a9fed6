// report.html: one self-contained page (CSS inline, SVG figures inline, PNG grids as data: URIs,
// mathematics as MathML, no scripts, no external requests). Every text that reaches the page goes
// through escapeHtml; the only markup not built here is marked's output for Markdown (raw HTML in
// it is escaped, see md-to-html.ts), KaTeX's MathML (math.ts) and SVG drawings that passed safeSvg.
import type { Block, Figure, ReportContent, Section } from "./blocks.js";
import { inlinePieces, texToMathml } from "./math.js";
import { escapeHtml, markdownToHtml } from "./md-to-html.js";

const CSS = `
:root { --fg: #1b1b1b; --muted: #5a5a5a; --line: #c9c9c9; --accent: #0b5394; --bg-note: #eef4fb; --bg-warn: #fff4e0; --bg-code: #f5f5f5; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 16px; line-height: 1.5; color: var(--fg); background: #fff; }
body { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 4rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.45rem; margin: 2.75rem 0 0.75rem; padding-bottom: 0.25rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.15rem; margin: 1.75rem 0 0.5rem; }
h4, h5, h6 { font-size: 1rem; margin: 1.25rem 0 0.4rem; }
p, li { max-width: 52rem; }
.subtitle { color: var(--muted); margin-top: 0; }
.question { font-style: italic; border-left: 4px solid var(--accent); padding: 0.25rem 0 0.25rem 0.9rem; margin-left: 0; }
.note { background: var(--bg-note); padding: 0.5rem 0.8rem; border-radius: 4px; font-size: 0.93rem; }
.warning { background: var(--bg-warn); padding: 0.5rem 0.8rem; border-radius: 4px; border-left: 4px solid #e69f00; }
.banner { background: var(--bg-warn); border: 2px solid #e69f00; border-radius: 6px; padding: 0.6rem 1rem; margin: 1rem 0 1.5rem; }
.banner strong { display: block; margin-bottom: 0.25rem; }
nav.toc { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0; }
nav.toc ol { margin: 0.25rem 0; padding-left: 1.5rem; columns: 2; }
a { color: var(--accent); }
table { border-collapse: collapse; margin: 0.75rem 0 1.25rem; font-size: 0.9rem; font-variant-numeric: tabular-nums; }
.table-wrap { overflow-x: auto; max-width: 100%; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: 0.3rem; font-size: 0.88rem; }
th, td { border: 1px solid var(--line); padding: 0.25rem 0.55rem; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafafa; }
.figures { display: flex; flex-wrap: wrap; gap: 1rem 1.5rem; align-items: flex-start; margin: 0.75rem 0 1.25rem; }
figure { margin: 0; max-width: 100%; }
figure.chart { flex: 1 1 26rem; max-width: 40rem; }
figure svg { width: 100%; height: auto; display: block; border: 1px solid #e4e4e4; }
.figures.grid figure { flex: 0 1 17.5rem; }
.figures.grid figure img { width: 100%; }
figure img { image-rendering: pixelated; display: block; border: 1px solid #e4e4e4; max-width: 100%; height: auto; }
figcaption { font-size: 0.85rem; color: var(--muted); max-width: 40rem; margin-top: 0.3rem; }
pre { background: var(--bg-code); padding: 0.75rem 1rem; border-radius: 4px; overflow-x: auto; font-size: 0.85rem; line-height: 1.4; white-space: pre-wrap; word-break: break-word; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", monospace; font-size: 0.9em; }
.doc { border-left: 3px solid var(--line); padding-left: 1rem; margin: 0.5rem 0 1rem; }
math { font-size: 1.08em; }
math[display="block"] { margin: 0.7rem 0; overflow-x: auto; overflow-y: hidden; }
@media print {
  html { font-size: 11pt; }
  body { max-width: none; padding: 0; }
  nav.toc { display: none; }
  h2 { break-before: page; }
  h2, h3, h4 { break-after: avoid; }
  figure, table, pre { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  .table-wrap { overflow: visible; }
}
`;

/** Paragraph text: `code spans` become <code>, \(TeX\) spans MathML, everything else is escaped text. */
export function inlineHtml(text: string): string {
  return inlinePieces(text)
    .map((p) => (p.kind === "code" ? `<code>${escapeHtml(p.text)}</code>` : p.kind === "math" ? texToMathml(p.text) : escapeHtml(p.text)))
    .join("");
}

function figureHtml(f: Figure): string {
  const caption = `<figcaption>${inlineHtml(f.caption)}</figcaption>`;
  if (f.kind === "svg") {
    // never wider than drawn: charts shrink to sit side by side but small ones are not blown up
    const w = /^<svg[^>]*\swidth="(\d+(?:\.\d+)?)"/.exec(f.svg)?.[1];
    return `<figure class="chart"${w ? ` style="max-width: ${Number(w)}px"` : ""}>${f.svg}${caption}</figure>`;
  }
  const b64 = Buffer.from(f.data).toString("base64");
  return `<figure><img src="data:image/png;base64,${b64}" alt="${escapeHtml(f.alt)}" width="${f.width}">${caption}</figure>`;
}

function tableHtml(b: Extract<Block, { kind: "table" }>): string {
  const cls = (j: number) => (b.numeric?.[j] ? ' class="num"' : "");
  const head = `<thead><tr>${b.head.map((h, j) => `<th${cls(j)}>${escapeHtml(h)}</th>`).join("")}</tr></thead>`;
  const body = `<tbody>${b.rows.map((r) => `<tr>${r.map((c, j) => `<td${cls(j)}>${inlineHtml(c)}</td>`).join("")}</tr>`).join("\n")}</tbody>`;
  const caption = b.caption ? `<caption>${inlineHtml(b.caption)}</caption>` : "";
  return `<div class="table-wrap"><table>${caption}${head}${body}</table></div>`;
}

function blockHtml(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `<h3>${inlineHtml(b.text)}</h3>`;
    case "p":
      return `<p${b.role ? ` class="${b.role}"` : ""}>${inlineHtml(b.text)}</p>`;
    case "list":
      return `<ul>${b.items.map((i) => `<li>${inlineHtml(i)}</li>`).join("")}</ul>`;
    case "table":
      return tableHtml(b);
    case "figures":
      return b.items.length ? `<div class="figures${b.layout ? ` ${b.layout}` : ""}">${b.items.map(figureHtml).join("\n")}</div>` : "";
    case "markdown":
      // a doc's own headings sit below the section's h3
      return `<div class="doc">${b.title ? `<h4>${inlineHtml(b.title)}</h4>` : ""}${markdownToHtml(b.md, 3)}</div>`;
    case "code":
      return `<pre><code>${escapeHtml(b.text)}</code></pre>`;
  }
}

function sectionHtml(s: Section): string {
  return `<section id="${escapeHtml(s.id)}">\n<h2>${inlineHtml(s.title)}</h2>\n${s.blocks.map(blockHtml).join("\n")}\n</section>`;
}

/** The whole page. */
export function renderHtml(c: ReportContent): string {
  const toc = `<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>${c.sections.map((s) => `<li><a href="#${escapeHtml(s.id)}">${inlineHtml(s.title)}</a></li>`).join("")}</ol></nav>`;
  const banner = c.banner ? `<div class="banner" role="note"><strong>${inlineHtml(c.banner.title)}</strong><ul>${c.banner.items.map((i) => `<li>${inlineHtml(i)}</li>`).join("")}</ul></div>` : "";
  return [
    "<!DOCTYPE html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    // nothing on this page may load from elsewhere or run: say so to the browser as well
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    `<title>${escapeHtml(c.title)}</title>`,
    `<style>${CSS}</style>`,
    "</head>",
    "<body>",
    "<header>",
    `<h1>${escapeHtml(c.title)}</h1>`,
    `<p class="subtitle">${inlineHtml(c.subtitle)}</p>`,
    banner,
    toc,
    "</header>",
    "<main>",
    ...c.sections.map(sectionHtml),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
