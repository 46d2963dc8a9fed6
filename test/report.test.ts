// `emlab report`: a whole run at the test-only --tiny settings into an --out whose name carries
// HTML metacharacters, the page opened in headless Chromium (no console errors, no request
// leaving the file, every image decoded, every section there, a screenshot), the stage cache
// (a second run skips every stage, --force reruns), and the escaping helpers on their own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { canonicalJson } from "../src/report/canonical.js";
import { safeSvg } from "../src/report/blocks.js";
import { inlineHtml } from "../src/report/html.js";
import { escapeMarkdown } from "../src/report/markdown.js";
import { escapeHtml, markdownSections, markdownToHtml } from "../src/report/md-to-html.js";
import { parseOnly } from "../src/cli/report.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "build", "src", "cli", "main.js");
const SCREENSHOT = join(ROOT, "build", "report-screenshot.png");
const CHROMIUM = "/usr/bin/chromium";
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// a directory name that is markup if the page forgets to escape it (no '/', which a name cannot hold)
const EVIL = `r<script>alert("x")<\\script><img src=x onerror=alert(1)>&amp;'q`;
const base = mkdtempSync(join(tmpdir(), "emlab-report-"));
const OUT = join(base, EVIL);
const STAGES = ["1a", "1b", "2a", "2b", "2c"];

interface Result {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
}

function emlab(args: string[]): Promise<Result> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    // without EMLAB_PROGRESS=0 (which is --quiet): the stage lines below are part of what is tested
    const { EMLAB_PROGRESS: _quiet, ...env } = process.env;
    execFile(process.execPath, [CLI, ...args], { env, maxBuffer: 1 << 24 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

let first: Result;

test("a tiny run writes every stage and both report files", async () => {
  first = await emlab(["report", "--tiny", "--out", OUT, "--threads", "2", "--json"]);
  assert.is(first.code, 0, first.stderr);
  const doc = JSON.parse(first.stdout);
  assert.equal(doc.stages.map((s: { id: string }) => s.id), STAGES);
  for (const s of doc.stages) assert.is(s.status, "ran");
  for (const [i, id] of STAGES.entries()) assert.match(first.stderr, `[${i + 1}/5] ${id} `);
  for (const dir of ["1a-gmm", "1b-mnist", "2a-vae", "2b-gan", "2c-compare"]) {
    const rec = JSON.parse(readFileSync(join(OUT, dir, "stage.json"), "utf8"));
    assert.is(rec.finished, true, dir);
    assert.ok(rec.seconds > 0, dir);
  }
  assert.ok(existsSync(join(OUT, "report.html")));
  assert.ok(existsSync(join(OUT, "report.md")));
});

test("the page escapes the output path and holds no script or external reference", () => {
  const html = readFileSync(join(OUT, "report.html"), "utf8");
  assert.not.match(html, /<script/i);
  assert.not.match(html, /<img src=x/i);
  // the only `onerror=` left is the escaped text of the directory name
  assert.not.match(html.split("&lt;img src=x onerror=alert(1)&gt;").join(""), /onerror/i);
  assert.not.match(html, /(src|href)\s*=\s*["']?(https?:|\/\/)/i);
  assert.ok(html.includes(escapeHtml(OUT)), "the escaped --out path is shown");
  assert.ok(html.includes("This is a tiny run"), "reduced runs say so at the top");
  // in report.md the name is literal only inside code (fences and spans), which Markdown never renders as markup
  const md = readFileSync(join(OUT, "report.md"), "utf8");
  const prose = md.replace(/^(`{3,})[^\n]*\n[\s\S]*?^\1$/gm, "").replace(/`[^`\n]+`/g, "");
  assert.ok(prose.length < md.length && prose.length > md.length / 3);
  assert.not.match(prose, /<script/i);
  assert.not.match(prose, /<img src=x/i);
  assert.match(md, /!\[[^\]]*\]\(1a-gmm\/nll-vs-k\.svg\)/);
  // mathematics: MathML in the page, TeX between dollars in report.md (the objective of docs/gmm.md, the 1a caption)
  assert.ok(html.includes('<annotation encoding="application/x-tex">\\ell = -\\sum_{i=1}^{n}'), "the objective typeset");
  assert.not.match(html, "|2π S_k|");
  assert.ok(md.includes("$$\n\\ell = -\\sum_{i=1}^{n}") && md.includes("$\\mathrm{BIC} = 2\\,\\mathrm{NLL} + p \\ln n$"));
});

test("the page renders in headless Chromium: sections, decoded images, no errors, no requests", async () => {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on("request", (r) => requests.push(r.url()));
    const url = pathToFileURL(join(OUT, "report.html")).href;
    await page.goto(url, { waitUntil: "load" });
    const info = await page.evaluate(() => ({
      ids: [...document.querySelectorAll("section[id]")].map((s) => s.id),
      images: [...document.images].map((i) => ({ alt: i.alt, complete: i.complete, w: i.naturalWidth })),
      svgs: document.querySelectorAll("figure svg").length,
      scripts: document.scripts.length,
      title: document.title,
      // the typeset formulas (MathML, rendered by the browser itself): their laid-out widths
      maths: [...document.querySelectorAll("math")].map((m) => m.getBoundingClientRect().width),
    }));
    for (const id of [...STAGES, "reproduce", "versions", "timings", "configuration"]) assert.ok(info.ids.includes(id), `section #${id}`);
    // tiny: 1b misclassified grid, 2a one sample grid + reconstructions, 2b one sample grid
    assert.ok(info.images.length >= 4, `${info.images.length} images`);
    for (const im of info.images) assert.ok(im.complete && im.w > 0, `image '${im.alt}' not decoded`);
    assert.ok(info.svgs >= 7, `${info.svgs} inline SVG figures`);
    assert.is(info.scripts, 0);
    // docs/gmm.md's derivations (1a) alone hold over a hundred formulas; each one laid out
    assert.ok(info.maths.length > 100, `${info.maths.length} formulas`);
    assert.ok(info.maths.every((w) => w > 0), "every formula is drawn");
    assert.equal(problems, []);
    assert.equal(requests.filter((u) => u !== url && !u.startsWith("data:")), []);
    mkdirSync(join(ROOT, "build"), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
  } finally {
    await browser.close();
  }
  assert.ok(existsSync(SCREENSHOT));
});

test("a second run with the same settings skips every stage; --force reruns", async () => {
  const again = await emlab(["report", "--tiny", "--out", OUT, "--threads", "2", "--json"]);
  assert.is(again.code, 0, again.stderr);
  for (const id of STAGES) assert.ok(again.stderr.includes(`${id}: up to date (${OUT}/`), `${id} skipped`);
  assert.ok(JSON.parse(again.stdout).stages.every((s: { status: string }) => s.status === "up to date"));
  assert.ok(again.seconds < Math.max(15, first.seconds / 2), `cached run took ${again.seconds.toFixed(1)} s`);

  const forced = await emlab(["report", "--tiny", "--out", OUT, "--threads", "2", "--only", "1a", "--force", "--json"]);
  assert.is(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, "[1/1] 1a ");
  assert.not.match(forced.stderr, "up to date");
  assert.equal(JSON.parse(forced.stdout).stages.map((s: { id: string; status: string }) => [s.id, s.status]), [["1a", "ran"]]);
  // the other stages' results stay in the page
  const html = readFileSync(join(OUT, "report.html"), "utf8");
  assert.match(html, 'id="2c"');
  assert.not.match(html, "was not part of this run");
});

test("a training stage interrupted after its checkpoint continues from it", async () => {
  // what a kill between the last checkpoint and stage.json leaves behind
  rmSync(join(OUT, "2a-vae", "stage.json"));
  const r = await emlab(["report", "--tiny", "--out", OUT, "--threads", "2", "--only", "2a"]);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stderr, `2a: continuing from ${join(OUT, "2a-vae", "checkpoint.emlab")}`);
  const rec = JSON.parse(readFileSync(join(OUT, "2a-vae", "stage.json"), "utf8"));
  assert.is(rec.result.resumedFrom, 1);
  assert.is(rec.result.epochs.length, 1);
});

test("a different setting reruns that stage; --only 2c without its inputs is a one-line error", async () => {
  const other = join(base, "other");
  const r = await emlab(["report", "--tiny", "--out", other, "--only", "2c"]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /^emlab: --only: stage 2c needs stage 2a finished in .* \(add 2a to --only\)\n$/);
  assert.not.ok(existsSync(join(other, "report.html")));
  const seed = await emlab(["report", "--tiny", "--out", OUT, "--only", "1a", "--seed", "2", "--json"]);
  assert.is(seed.code, 0, seed.stderr);
  assert.equal(JSON.parse(seed.stdout).stages.map((s: { status: string }) => s.status), ["ran"]);
  // the page now lacks the seed-2 results of the other stages and says how to add them
  assert.match(readFileSync(join(OUT, "report.html"), "utf8"), "was not part of this run");
});

test("flag errors name the flag", async () => {
  const bad = await emlab(["report", "--only", "1a,3x"]);
  assert.is(bad.code, 2);
  assert.is(bad.stderr, "emlab: --only: '3x' is not one of 1a, 1b, 2a, 2b, 2c\n");
  const file = join(base, "a-file");
  writeFileSync(file, "x");
  const notDir = await emlab(["report", "--out", file]);
  assert.is(notDir.code, 2);
  assert.match(notDir.stderr, "is not a directory");
  assert.equal(parseOnly("2c, 1a"), ["1a", "2c"]);
});

test("escaping helpers", () => {
  assert.is(escapeHtml(`<a href="x">&'</a>`), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
  assert.is(inlineHtml("run `a<b` & <i>"), "run <code>a&lt;b</code> &amp; &lt;i&gt;");
  const md = markdownToHtml("# T\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1)) ![i](http://e.org/i.png)\n\n| a |\n|---|\n| <b>1</b> |\n", 2);
  assert.match(md, "<h3>T</h3>");
  assert.not.match(md, /<script|<b>|javascript:|http:/);
  assert.is(escapeMarkdown("a|b <c> *d* [e](f) &"), "a\\|b &lt;c&gt; \\*d\\* \\[e\\](f) &amp;");
  assert.ok(safeSvg('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>'));
  assert.not.ok(safeSvg("<svg><script>alert(1)</script></svg>"));
  assert.not.ok(safeSvg('<svg><rect onclick="x()"/></svg>'));
  assert.not.ok(safeSvg('<svg><image href="http://e.org/x.png"/></svg>'));
  assert.equal(markdownSections("## A\na\n```\n## not\n```\n## B\nb\n", /./).map((s) => s.title), ["A", "B"]);
});

test("canonical JSON ignores key order and undefined members", () => {
  assert.is(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: undefined }], c: undefined } }), canonicalJson({ a: { d: [1, { f: 2 }] }, b: 1 }));
  assert.is.not(canonicalJson({ a: 1 }), canonicalJson({ a: 2 }));
});

test.run();
