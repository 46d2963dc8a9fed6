// The report's content as data: sections of blocks (headings, paragraphs, tables, figures,
// Markdown from docs/), built by content.ts and the stage modules, then rendered by html.ts and
// markdown.ts. Every string in a block is plain text; escaping is the renderers' job. The
// helpers below read figures and docs from disk for the stage modules. Node only.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../data/datasets.js";
import { markdownSections } from "./md-to-html.js";

// ---------------------------------------------------------------------------------------
// the block model

/** A figure: an SVG file inlined, or a PNG embedded; `path` is relative to --out (report.md links it). */
export type Figure = { kind: "svg"; path: string; svg: string; caption: string } | { kind: "png"; path: string; data: Uint8Array; caption: string; alt: string; width: number };

/** One piece of a section; all text is plain (backtick spans become code), the renderers escape it. */
export type Block =
  | { kind: "heading"; text: string }
  | { kind: "p"; text: string; role?: "question" | "note" | "warning" }
  | { kind: "list"; items: string[] }
  | { kind: "table"; caption?: string; head: string[]; rows: string[][]; numeric?: boolean[] }
  /** "grid": several image grids at a reduced size, side by side (the per-epoch samples). */
  | { kind: "figures"; items: Figure[]; layout?: "grid" }
  | { kind: "markdown"; md: string; title?: string }
  | { kind: "code"; text: string };

/** A top-level section of the report; `id` is its anchor (1a … 2c, timings, configuration, versions, reproduce). */
export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

/** The whole report, rendered by renderHtml and renderMarkdown. */
export interface ReportContent {
  title: string;
  /** One line under the title: mode, date, output directory. */
  subtitle: string;
  /** Shown in a box at the top for quick runs: what was reduced. */
  banner?: { title: string; items: string[] };
  sections: Section[];
}

// ---------------------------------------------------------------------------------------
// numbers as text

/** `v` with `d` decimals; NaN and ±Infinity spelled out. */
export const fx = (v: number, d: number) => (Number.isFinite(v) ? v.toFixed(d) : String(v));
/** A fraction as a percentage with two decimals. */
export const pct = (v: number) => `${(100 * v).toFixed(2)} %`;

// ---------------------------------------------------------------------------------------
// figures and docs from disk

/** An SVG we inline must be a plain drawing: no scripts, event handlers, foreign content or external references. */
export function safeSvg(svg: string): boolean {
  const body = svg.replace(/^\s*<\?xml[^>]*\?>\s*/, "");
  return body.startsWith("<svg") && !/<script|<foreignObject|\son[a-z]+\s*=|javascript:|href\s*=\s*["']?(?!#)/i.test(body);
}

/** Reads the figures of a stage; a missing or unsafe file is remembered (content.ts turns it into a warning paragraph). */
export class FigureReader {
  constructor(private readonly out: string) {}
  readonly missing: string[] = [];

  svg(rel: string, caption: string): Figure | undefined {
    const path = join(this.out, rel);
    if (!existsSync(path)) return this.miss(rel);
    const svg = readFileSync(path, "utf8").replace(/^\s*<\?xml[^>]*\?>\s*/, "");
    if (!safeSvg(svg)) return this.miss(`${rel} (not a plain SVG drawing; not inlined)`);
    return { kind: "svg", path: rel, svg, caption };
  }

  png(rel: string, caption: string, alt: string): Figure | undefined {
    const path = join(this.out, rel);
    if (!existsSync(path)) return this.miss(rel);
    const data = new Uint8Array(readFileSync(path));
    // PNG signature and IHDR width (bytes 16..19, big-endian)
    const sig = [137, 80, 78, 71, 13, 10, 26, 10];
    if (data.length < 24 || sig.some((b, i) => data[i] !== b)) return this.miss(`${rel} (not a PNG file)`);
    const width = ((data[16] << 24) | (data[17] << 16) | (data[18] << 8) | data[19]) >>> 0;
    return { kind: "png", path: rel, data, caption, alt, width };
  }

  private miss(rel: string): undefined {
    this.missing.push(rel);
    return undefined;
  }
}

/** Figures side by side at their own size; absent ones (undefined) are left out. */
export function figures(...items: (Figure | undefined)[]): Block {
  return { kind: "figures", items: items.filter((f): f is Figure => f !== undefined) };
}

/** Image grids side by side at a reduced size; absent ones are left out. */
export function grids(items: (Figure | undefined)[]): Block {
  return { kind: "figures", layout: "grid", items: items.filter((f): f is Figure => f !== undefined) };
}

/** Read docs/<name>; undefined when absent. */
function readDoc(name: string): string | undefined {
  const path = join(packageRoot(), "docs", name);
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** The sections of docs/<name> whose `##` titles match, as Markdown blocks (or a note saying what is missing). */
export function docSections(name: string, pattern: RegExp): Block[] {
  const md = readDoc(name);
  if (md === undefined) return [{ kind: "p", role: "warning", text: `docs/${name} is not in this checkout.` }];
  const sections = markdownSections(md, pattern);
  if (sections.length === 0) return [{ kind: "p", role: "warning", text: `docs/${name} has no section matching ${pattern}.` }];
  return sections.map((s): Block => ({ kind: "markdown", title: s.title, md: s.body }));
}
