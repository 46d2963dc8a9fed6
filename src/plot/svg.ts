// Self-contained SVG charts (no fonts, CSS or scripts from outside): a line chart with markers
// and a legend, and a heatmap with cell text for confusion matrices. Pure functions → strings.

export interface Series {
  name: string;
  points: [number, number][];
  color?: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** 'integer': x ticks only at whole numbers (e.g. K). */
  xTicks?: "integer";
  /** A dashed vertical marker, e.g. at the chosen K. */
  vline?: { x: number; label: string };
  width?: number;
  height?: number;
}

export interface HeatmapOptions {
  title: string;
  rowLabels: string[];
  colLabels: string[];
  /** values[r][c]; colour runs from the minimum (white) to the maximum (dark blue). */
  values: number[][];
  /** "sqrt" (default) keeps small off-diagonal counts visible next to a large diagonal. */
  colorScale?: "linear" | "sqrt";
  format?: (v: number, row: number, col: number) => string;
  xLabel?: string;
  yLabel?: string;
  cellSize?: number;
}

/** A colour-blind-safe palette (Okabe–Ito), used in order when a series names none. */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"];
/**
 * Marker shapes in the order series take them: series i draws MARKERS[i], so no two series of a
 * chart share a marker, whatever their colours (the palette repeats after 8; a caller may give
 * two series the same colour). Filled shapes first, then hollow ones (white inside).
 */
export const MARKERS = ["circle", "square", "triangle", "diamond", "triangle-down", "plus", "cross", "circle-open", "square-open", "triangle-open", "diamond-open", "triangle-down-open"] as const;
export type MarkerKind = (typeof MARKERS)[number];
const FONT = "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\"";
/** Approximate advance of one character at font-size 12, for layout (no font metrics available). */
const CHAR_W = 7;

/** Escape text for XML content and attribute values. */
export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** Round to 4 decimals for compact coordinates. */
function r4(v: number): string {
  return String(Math.round(v * 1e4) / 1e4);
}

/** "Nice" ticks (1, 2, 5 × 10^k) covering [lo, hi] with about `target` steps. */
export function niceTicks(lo: number, hi: number, target = 6, integer = false): { ticks: number[]; step: number } {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return { ticks: [0, 1], step: 1 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, target);
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  let step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
  if (integer) step = hi - lo <= 12 ? 1 : Math.max(1, Math.round(step));
  const first = Math.floor(lo / step + 1e-9) * step;
  const last = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let t = first; t <= last + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return { ticks, step };
}

/** Tick label with as many decimals as the step needs; large magnitudes in exponent form. */
export function formatTick(v: number, step: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-4) {
    const digits = Math.max(0, Math.min(6, Math.floor(Math.log10(a) + 1e-9) - Math.floor(Math.log10(step) + 1e-9)));
    return v.toExponential(digits).replace("e+", "e");
  }
  const decimals = Math.max(0, Math.min(10, -Math.floor(Math.log10(step) + 1e-9)));
  return v.toFixed(decimals);
}

/** A marker of `kind` centred on (x, y): filled in `color`, or (the "-open" kinds) a white shape outlined in it. */
export function marker(kind: MarkerKind, x: number, y: number, color: string): string {
  const s = 3.5;
  const open = kind.endsWith("-open");
  const paint = open ? `fill="#ffffff" stroke="${color}" stroke-width="1.5"` : `fill="${color}"`;
  const poly = (pts: [number, number][]) => `<path d="${pts.map(([dx, dy], i) => `${i ? "L" : "M"}${r4(x + dx)} ${r4(y + dy)}`).join("")}Z" ${paint}/>`;
  switch (kind.replace(/-open$/, "")) {
    case "circle":
      return `<circle cx="${r4(x)}" cy="${r4(y)}" r="${s}" ${paint}/>`;
    case "square":
      return `<rect x="${r4(x - s)}" y="${r4(y - s)}" width="${2 * s}" height="${2 * s}" ${paint}/>`;
    case "triangle":
      return poly([[0, -s - 0.5], [s, s], [-s, s]]);
    case "triangle-down":
      return poly([[0, s + 0.5], [s, -s], [-s, -s]]);
    case "diamond":
      return poly([[0, -s - 0.5], [s + 0.5, 0], [0, s + 0.5], [-s - 0.5, 0]]);
    case "plus":
      return `<path d="M${r4(x - s - 0.5)} ${r4(y)}H${r4(x + s + 0.5)}M${r4(x)} ${r4(y - s - 0.5)}V${r4(y + s + 0.5)}" stroke="${color}" stroke-width="2"/>`;
    case "cross":
      return `<path d="M${r4(x - s)} ${r4(y - s)}L${r4(x + s)} ${r4(y + s)}M${r4(x - s)} ${r4(y + s)}L${r4(x + s)} ${r4(y - s)}" stroke="${color}" stroke-width="2"/>`;
    default:
      throw new Error(`unknown marker ${kind}`);
  }
}

function svgOpen(width: number, height: number, title: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">\n` +
    `<title>${escapeXml(title)}</title>\n<rect width="${width}" height="${height}" fill="#ffffff"/>\n`
  );
}

/** A line chart: one polyline with markers per series, nice ticks, axis labels and a legend. */
export function lineChart(opts: LineChartOptions): string {
  const { title, xLabel, yLabel, series } = opts;
  const width = opts.width ?? 640;
  const height = opts.height ?? 400;
  if (series.length > MARKERS.length) throw new Error(`lineChart: ${series.length} series, at most ${MARKERS.length} (one marker shape each)`);
  const pts = series.flatMap((s) => s.points).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const xs = pts.map((p) => p[0]);
  const ys = pts.map((p) => p[1]);
  const integer = opts.xTicks === "integer";
  const xt = niceTicks(xs.length ? Math.min(...xs) : 0, xs.length ? Math.max(...xs) : 1, 8, integer);
  const yt = niceTicks(ys.length ? Math.min(...ys) : 0, ys.length ? Math.max(...ys) : 1, 6);
  const yLabels = yt.ticks.map((t) => formatTick(t, yt.step));
  const legendW = Math.max(0, ...series.map((s) => s.name.length)) * CHAR_W + 40;
  const left = 30 + Math.max(...yLabels.map((l) => l.length)) * CHAR_W;
  const right = 20 + legendW;
  const top = 40;
  const bottom = 55;
  const pw = width - left - right;
  const ph = height - top - bottom;
  // Integer x (K): half a unit of room at both ends so end markers sit inside the frame.
  if (integer && xs.length) {
    const lo = Math.min(...xs) - 0.5;
    const hi = Math.max(...xs) + 0.5;
    xt.ticks = xt.ticks.filter((t) => t >= lo && t <= hi);
    xt.ticks.unshift(lo);
    xt.ticks.push(hi);
  }
  const [x0, x1] = [xt.ticks[0], xt.ticks[xt.ticks.length - 1]];
  if (integer && xs.length) xt.ticks = xt.ticks.slice(1, -1);
  const [y0, y1] = [yt.ticks[0], yt.ticks[yt.ticks.length - 1]];
  const sx = (x: number) => left + ((x - x0) / (x1 - x0 || 1)) * pw;
  const sy = (y: number) => top + ph - ((y - y0) / (y1 - y0 || 1)) * ph;

  let out = svgOpen(width, height, title);
  out += `<g ${FONT} font-size="12" fill="#222222">\n`;
  // Centred on the whole picture: centred on the plot area, a long title ran off the left edge.
  out += `<text x="${r4(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>\n`;
  // Grid and ticks.
  for (let i = 0; i < yt.ticks.length; i++) {
    const y = sy(yt.ticks[i]);
    out += `<line x1="${left}" y1="${r4(y)}" x2="${left + pw}" y2="${r4(y)}" stroke="#e5e5e5"/>`;
    out += `<text x="${left - 6}" y="${r4(y + 4)}" text-anchor="end">${escapeXml(yLabels[i])}</text>\n`;
  }
  for (const t of xt.ticks) {
    const x = sx(t);
    out += `<line x1="${r4(x)}" y1="${top + ph}" x2="${r4(x)}" y2="${top + ph + 5}" stroke="#444444"/>`;
    out += `<text x="${r4(x)}" y="${top + ph + 19}" text-anchor="middle">${escapeXml(formatTick(t, xt.step))}</text>\n`;
  }
  out += `<rect x="${left}" y="${top}" width="${pw}" height="${ph}" fill="none" stroke="#444444"/>\n`;
  out += `<text x="${r4(left + pw / 2)}" y="${height - 12}" text-anchor="middle">${escapeXml(xLabel)}</text>\n`;
  out += `<text transform="translate(14 ${r4(top + ph / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>\n`;
  if (opts.vline && Number.isFinite(opts.vline.x)) {
    const x = sx(opts.vline.x);
    out += `<line x1="${r4(x)}" y1="${top}" x2="${r4(x)}" y2="${top + ph}" stroke="#777777" stroke-dasharray="4 3"/>`;
    // right of the line when the label fits inside the frame, else left of it: never into the legend
    const fitsRight = x + 4 + opts.vline.label.length * CHAR_W <= left + pw - 4;
    const at = fitsRight ? `x="${r4(x + 4)}"` : `x="${r4(x - 4)}" text-anchor="end"`;
    out += `<text ${at} y="${top + 14}" fill="#555555" data-role="vline-label">${escapeXml(opts.vline.label)}</text>\n`;
  }
  // Series: each in its own group (its colour and marker shape named for tools and tests).
  const lx = left + pw + 16;
  let legend = "";
  series.forEach((s, i) => {
    const color = escapeXml(s.color ?? PALETTE[i % PALETTE.length]);
    const kind = MARKERS[i];
    const good = s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
    out += `<g data-series="${i}" data-marker="${kind}" data-color="${color}">`;
    if (good.length > 1) {
      const d = good.map(([x, y], j) => `${j ? "L" : "M"}${r4(sx(x))} ${r4(sy(y))}`).join("");
      out += `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
    }
    out += good.map(([x, y]) => marker(kind, sx(x), sy(y), color)).join("") + "</g>\n";
    const ly = top + 10 + i * 20;
    legend += `<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${color}" stroke-width="2"/>${marker(kind, lx + 11, ly, color)}`;
    legend += `<text x="${lx + 28}" y="${ly + 4}">${escapeXml(s.name)}</text>\n`;
  });
  out += `<g data-role="legend">\n${legend}</g>\n`;
  out += `</g>\n</svg>\n`;
  return out;
}

/** A heatmap (e.g. a confusion matrix: rows = true class, columns = predicted) with the value in each cell. */
export function heatmap(opts: HeatmapOptions): string {
  const { title, rowLabels, colLabels, values } = opts;
  const format = opts.format ?? ((v: number) => String(v));
  const cell = opts.cellSize ?? 44;
  const rows = values.length;
  const cols = rows ? values[0].length : 0;
  const rowLabelW = Math.max(1, ...rowLabels.map((l) => l.length)) * CHAR_W + 12;
  const left = 30 + rowLabelW;
  const top = 70;
  const width = left + cols * cell + 20;
  const height = top + rows * cell + 30;
  const flat = values.flat().filter(Number.isFinite);
  const lo = flat.length ? Math.min(...flat) : 0;
  const hi = flat.length ? Math.max(...flat) : 1;

  let out = svgOpen(width, height, title);
  out += `<g ${FONT} font-size="12" fill="#222222">\n`;
  out += `<text x="${r4(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>\n`;
  if (opts.xLabel) out += `<text x="${r4(left + (cols * cell) / 2)}" y="44" text-anchor="middle">${escapeXml(opts.xLabel)}</text>\n`;
  if (opts.yLabel) out += `<text transform="translate(14 ${r4(top + (rows * cell) / 2)}) rotate(-90)" text-anchor="middle">${escapeXml(opts.yLabel)}</text>\n`;
  colLabels.forEach((l, c) => {
    out += `<text x="${r4(left + (c + 0.5) * cell)}" y="${top - 8}" text-anchor="middle">${escapeXml(l)}</text>`;
  });
  out += "\n";
  for (let r = 0; r < rows; r++) {
    out += `<text x="${left - 8}" y="${r4(top + (r + 0.5) * cell + 4)}" text-anchor="end">${escapeXml(rowLabels[r] ?? "")}</text>`;
    for (let c = 0; c < cols; c++) {
      const v = values[r][c];
      const lin = Number.isFinite(v) && hi > lo ? (v - lo) / (hi - lo) : 0;
      const t = (opts.colorScale ?? "sqrt") === "sqrt" ? Math.sqrt(lin) : lin;
      // White → #08306b (dark blue), linear in each channel.
      const rgb = [255 + (8 - 255) * t, 255 + (48 - 255) * t, 255 + (107 - 255) * t].map(Math.round);
      const x = left + c * cell;
      const y = top + r * cell;
      out += `<rect x="${x}" y="${y}" width="${cell}" height="${cell}" fill="rgb(${rgb.join(",")})" stroke="#ffffff"/>`;
      out += `<text x="${r4(x + cell / 2)}" y="${r4(y + cell / 2 + 4)}" text-anchor="middle" fill="${t > 0.5 ? "#ffffff" : "#222222"}" font-size="11">${escapeXml(format(v, r, c))}</text>`;
    }
    out += "\n";
  }
  out += `</g>\n</svg>\n`;
  return out;
}
