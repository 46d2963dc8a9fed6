import { test } from "uvu";
import * as assert from "uvu/assert";
import { PNG } from "pngjs";
import { chromium } from "playwright-core";
import { escapeXml, formatTick, heatmap, lineChart, marker, MARKERS, niceTicks, PALETTE, type LineChartOptions } from "../src/plot/svg.js";
import { imageGrid } from "../src/plot/png.js";
import { glyph, GLYPH_H, GLYPH_W } from "../src/plot/font.js";

/** Every tag is closed and nested properly (a tiny XML well-formedness check, enough for our output). */
function assertBalanced(svg: string): void {
  const stack: string[] = [];
  for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
    const [, close, name, self] = m;
    if (self) continue;
    if (close) assert.is(stack.pop(), name, `</${name}> closes the wrong tag`);
    else stack.push(name);
  }
  assert.equal(stack, []);
  // No raw '&' that is not an entity, no '<' inside text.
  assert.not.match(svg, /&(?!(lt|gt|amp|quot|apos);)/);
}

test("niceTicks: 1-2-5 steps covering the range; integer mode", () => {
  assert.equal(niceTicks(0, 10, 5).ticks, [0, 2, 4, 6, 8, 10]);
  const t = niceTicks(98392.7, 106343.8, 6);
  assert.is(t.step, 2000);
  assert.is(t.ticks[0], 98000);
  assert.is(t.ticks[t.ticks.length - 1], 108000);
  assert.equal(niceTicks(1, 3, 8, true).ticks, [1, 2, 3]);
  assert.equal(niceTicks(0.1, 0.35, 5).ticks.map((v) => formatTick(v, 0.05)), ["0.10", "0.15", "0.20", "0.25", "0.30", "0.35"]);
  assert.equal(niceTicks(5, 5).ticks.length >= 2, true);
  assert.is(formatTick(2.5e7, 5e6), "2.5e7");
});

test("lineChart: self-contained SVG with viewBox, legend, markers, escaped text", () => {
  const svg = lineChart({
    title: `a <b> & "c"`,
    xLabel: "K <&>",
    yLabel: "y'",
    xTicks: "integer",
    vline: { x: 2, label: "K = 2 <min>" },
    series: [
      { name: "NLL <&\">", points: [[1, 10], [2, 5], [3, 4]] },
      { name: "BIC", points: [[1, 12], [2, 9], [3, 11]], color: "#123456" },
    ],
  });
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="640" height="400" viewBox="0 0 640 400">/);
  assert.ok(svg.includes("a &lt;b&gt; &amp; &quot;c&quot;"));
  assert.ok(svg.includes("NLL &lt;&amp;&quot;&gt;"));
  assert.ok(svg.includes("K &lt;&amp;&gt;"));
  assert.not.ok(svg.includes("<b>"));
  assert.not.match(svg, /href|@import|url\(/); // nothing external
  assert.is((svg.match(/<circle /g) ?? []).length, 3 + 1); // 3 points + legend marker
  assert.is((svg.match(/<rect x=/g) ?? []).length, 3 + 1 + 1); // squares + legend + frame
  assert.ok(svg.includes('stroke="#123456"'));
  assert.ok(svg.includes("K = 2 &lt;min&gt;") && svg.includes("stroke-dasharray"));
  for (const k of ["1", "2", "3"]) assert.ok(svg.includes(`text-anchor="middle">${k}</text>`), `x tick ${k}`);
  assertBalanced(svg);
});

/** The series groups of a chart: index, marker kind, colour, and the marker elements drawn. */
function seriesOf(svg: string): { marker: string; color: string; markers: string[] }[] {
  return [...svg.matchAll(/<g data-series="(\d+)" data-marker="([\w-]+)" data-color="([^"]+)">([\s\S]*?)<\/g>/g)].map((m) => ({
    marker: m[2],
    color: m[3],
    markers: [...m[4].matchAll(/<(circle|rect|path)(?![^>]*fill="none")[^>]*\/>/g)].map((e) => e[0]),
  }));
}

test("lineChart: every series its own marker shape, so no two share marker and colour", () => {
  // 9 series: the palette wraps (series 8 takes series 0's colour), and two series are given one colour
  const series = Array.from({ length: 9 }, (_, i) => ({ name: `s${i}`, points: [[1, i], [2, i + 1]] as [number, number][], color: i === 3 ? PALETTE[2] : undefined }));
  const svg = lineChart({ title: "t", xLabel: "x", yLabel: "y", series });
  const groups = seriesOf(svg);
  assert.is(groups.length, 9);
  const pairs = groups.map((g) => `${g.marker} ${g.color}`);
  assert.is(new Set(pairs).size, 9, pairs.join("; "));
  assert.is(new Set(groups.map((g) => g.marker)).size, 9);
  for (const g of groups) {
    assert.is(g.markers.length, 2, `${g.marker}: one marker per point`);
    // the markers drawn are the marker kind the group names, at its points
    assert.ok(g.markers.every((m) => svg.includes(m)));
  }
  // the kinds draw differently: the same centre and colour give different markup for every kind
  const drawn = MARKERS.map((k) => marker(k, 10, 10, "#000000"));
  assert.is(new Set(drawn).size, MARKERS.length);
  assert.throws(() => lineChart({ title: "t", xLabel: "x", yLabel: "y", series: Array.from({ length: MARKERS.length + 1 }, (_, i) => ({ name: `s${i}`, points: [[1, i]] })) }), /at most/);
});

/** Charts whose labels could run into the legend: the chosen-K line at either end, long series names. */
function crowdedCharts(): LineChartOptions[] {
  const ks = Array.from({ length: 10 }, (_, i) => i + 1);
  const nllBic = (k: number) => [
    { name: "final NLL", points: ks.map((x) => [x, 5e4 - 1e3 * x] as [number, number]) },
    { name: "BIC", points: ks.map((x) => [x, 1e5 - 900 * x] as [number, number]) },
  ];
  return [
    { title: "chosen K at the last K", xLabel: "K (components)", yLabel: "nats", xTicks: "integer", vline: { x: 10, label: "K = 10 (min BIC)" }, series: nllBic(10) },
    { title: "chosen K at the first K", xLabel: "K (components)", yLabel: "nats", xTicks: "integer", vline: { x: 1, label: "K = 1 (min BIC)" }, series: nllBic(1) },
    { title: "chosen K in the middle", xLabel: "K", yLabel: "nats", xTicks: "integer", vline: { x: 9, label: "K = 9 (min BIC)" }, series: nllBic(9), width: 420 },
    {
      title: "long names",
      xLabel: "epoch",
      yLabel: "loss",
      xTicks: "integer",
      series: [
        { name: "generator (−log D(G(z)))", points: [[1, 0.9], [2, 1.1]] },
        { name: "discriminator, WWW MMM", points: [[1, 1.3], [2, 1.2]] },
      ],
    },
  ];
}

test("lineChart in Chromium: no label's box overlaps the legend's, the legend stays inside the picture", async () => {
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    for (const opts of crowdedCharts()) {
      await page.setContent(`<!DOCTYPE html><html><body style="margin:0">${lineChart(opts)}</body></html>`);
      const boxes = await page.evaluate(() => {
        const box = (e: Element) => {
          const b = (e as SVGGraphicsElement).getBBox();
          return { x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height };
        };
        const svg = document.querySelector("svg")!;
        const legend = svg.querySelector('[data-role="legend"]')!;
        const texts = [...svg.querySelectorAll("text")].filter((t) => !legend.contains(t)).map((t) => ({ text: t.textContent ?? "", ...box(t) }));
        return { legend: box(legend), texts, width: Number(svg.getAttribute("width")), vline: svg.querySelector('[data-role="vline-label"]') ? box(svg.querySelector('[data-role="vline-label"]')!) : null };
      });
      const L = boxes.legend;
      assert.ok(L.x1 <= boxes.width, `${opts.title}: the legend ends at ${L.x1}, past the picture's ${boxes.width}`);
      for (const t of boxes.texts) {
        const overlap = t.x0 < L.x1 && L.x0 < t.x1 && t.y0 < L.y1 && L.y0 < t.y1;
        assert.not.ok(overlap, `${opts.title}: '${t.text}' [${t.x0.toFixed(0)}, ${t.x1.toFixed(0)}] overlaps the legend [${L.x0.toFixed(0)}, ${L.x1.toFixed(0)}]`);
      }
      if (opts.vline) assert.ok(boxes.vline && boxes.vline.x0 >= 0, `${opts.title}: the chosen-K label is drawn inside the picture`);
    }
  } finally {
    await browser.close();
  }
});

test("lineChart: non-finite points are skipped, a single point still draws", () => {
  const svg = lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [{ name: "s", points: [[1, NaN], [2, 3]] }] });
  assert.not.ok(svg.includes("NaN"));
  assertBalanced(svg);
});

test("heatmap: one cell per value with its text, darkest at the maximum", () => {
  const svg = heatmap({
    title: "Confusion <&>",
    rowLabels: ["0", "1"],
    colLabels: ["a&b", "c"],
    values: [
      [50, 2],
      [0, 48],
    ],
    format: (v) => `${v}%`,
  });
  assert.is((svg.match(/<rect x=/g) ?? []).length, 4);
  for (const s of ["50%", "2%", "0%", "48%", "a&amp;b", "Confusion &lt;&amp;&gt;"]) assert.ok(svg.includes(s), s);
  assert.ok(svg.includes('fill="rgb(8,48,107)"'));
  assert.ok(svg.includes('fill="rgb(255,255,255)"'));
  assert.match(svg, /viewBox="0 0 \d+ \d+"/);
  assertBalanced(svg);
});

test("escapeXml", () => {
  assert.is(escapeXml(`<&">'`), "&lt;&amp;&quot;&gt;&apos;");
});

test("imageGrid: PNG of the right size, pixels mapped from range, labels drawn in ink", () => {
  const h = 3;
  const w = 4;
  const n = 5;
  const images = new Float32Array(n * h * w);
  for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) images[i * h * w + p] = i / 4; // image i is flat gray i/4
  images[0] = -1; // clamped to black
  images[1] = 7; // clamped to white
  const scale = 2;
  const pad = 1;
  const bytes = imageGrid(images, n, { h, w, cols: 3, range: [0, 1], scale, pad, labels: ["0", "1", "2", "3", "4"] });
  const png = PNG.sync.read(Buffer.from(bytes));
  const labelH = GLYPH_H + 4;
  assert.is(png.width, pad + 3 * (w * scale + pad));
  assert.is(png.height, pad + 2 * (h * scale + labelH + pad));
  const px = (x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
  assert.equal(px(0, 0), [255, 255, 255]); // padding
  assert.equal(px(pad, pad), [0, 0, 0]); // image 0, pixel 0 clamped
  assert.equal(px(pad + 2, pad), [255, 255, 255]); // image 0, pixel 1 clamped
  assert.equal(px(pad + 1, pad + 2), [0, 0, 0]); // image 0 is 0 elsewhere
  const tileX = (i: number) => pad + (i % 3) * (w * scale + pad);
  const tileY = (i: number) => pad + Math.floor(i / 3) * (h * scale + labelH + pad);
  assert.equal(px(tileX(2) + 3, tileY(2) + 3), [128, 128, 128]); // 0.5 → round(127.5)
  assert.equal(px(tileX(4) + 7, tileY(4) + 5), [255, 255, 255]); // 1.0
  // Under tile 1 the digit "1" is drawn in black somewhere in the label band.
  let ink = 0;
  for (let y = tileY(1) + h * scale; y < tileY(1) + h * scale + labelH; y++) for (let x = tileX(1); x < tileX(1) + w * scale; x++) if (px(x, y)[0] === 0) ink++;
  assert.ok(ink > 0, "label ink");
  // The slot after the last image is background only.
  assert.equal(px(tileX(5) + 2, tileY(5) + 2), [255, 255, 255]);
});

test("font: every digit has a distinct 5×7 glyph; unknown characters draw as '?'", () => {
  const seen = new Set<string>();
  for (let d = 0; d <= 9; d++) {
    const g = glyph(String(d));
    assert.is(g.length, GLYPH_W * GLYPH_H);
    assert.ok(g.some((v) => v === 1));
    seen.add(g.join(""));
  }
  assert.is(seen.size, 10);
  assert.equal(Array.from(glyph("a")), Array.from(glyph("A")));
  assert.equal(Array.from(glyph("§")), Array.from(glyph("?")));
});

test.run();
