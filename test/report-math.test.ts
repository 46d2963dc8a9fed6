// Mathematics in the report (src/report/math.ts): TeX becomes MathML at build time, in the docs the
// report quotes ($…$, $$ blocks) and in its own text (\(…\)); report.md keeps the TeX between
// dollars; bad TeX is an error, not red text; every formula in docs/*.md typesets, and none is
// left as raw dollars.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { inlineHtml } from "../src/report/html.js";
import { renderMarkdown } from "../src/report/markdown.js";
import { inlinePieces, texToMathml } from "../src/report/math.js";
import { markdownToHtml } from "../src/report/md-to-html.js";

const DOCS = fileURLToPath(new URL("../../docs/", import.meta.url));

test("texToMathml: MathML only (no HTML rendering, no style sheet needed); bad TeX throws", () => {
  const m = texToMathml("|2\\pi S_k|^{-1/2}");
  assert.match(m, /^<span class="katex"><math xmlns="http:\/\/www.w3.org\/1998\/Math\/MathML">/);
  assert.match(m, "<msup>");
  assert.not.match(m, /katex-html|style=/);
  assert.match(texToMathml("x", true), 'display="block"');
  assert.throws(() => texToMathml("\\frac{1}{"), /KaTeX parse error/);
});

test("block text: \\(TeX\\) spans become MathML in HTML and $TeX$ in Markdown; dollars in plain text stay text", () => {
  assert.equal(inlinePieces("a `\\(x\\)` \\(y_1\\) b"), [
    { kind: "text", text: "a " },
    { kind: "code", text: "\\(x\\)" },
    { kind: "text", text: " " },
    { kind: "math", text: "y_1" },
    { kind: "text", text: " b" },
  ]);
  const html = inlineHtml("BIC \\(= p \\ln n\\) for $5 in dir/$x$ y");
  assert.is((html.match(/<math /g) ?? []).length, 1);
  assert.match(html, "for $5 in dir/$x$ y");
  const md = renderMarkdown({ title: "t", subtitle: "s", sections: [{ id: "a", title: "A", blocks: [{ kind: "p", text: "BIC \\(= p \\ln n\\) for $5 in dir/$x$ y" }] }] });
  assert.match(md, "BIC $= p \\ln n$ for \\$5 in dir/\\$x\\$ y");
});

test("Markdown: $…$ inline and $$ blocks typeset, also in tables; code keeps its dollars", () => {
  const html = markdownToHtml("A $x_i^2$ (see $\\sum_k \\pi_k$), `$0`.\n\n$$\n\\ell = -\\sum_i \\log p(x_i)\n$$\n\n| a | $b_k$ |\n|---|---|\n| 1 | 2 |\n");
  assert.is((html.match(/<math /g) ?? []).length, 4);
  assert.match(html, "<code>$0</code>");
  assert.throws(() => markdownToHtml("$\\frac{1}{$ x"), /KaTeX parse error/);
});

test("every formula in docs/*.md typesets, and no dollar is left outside code and formulas", () => {
  const docs = readdirSync(DOCS).filter((f) => f.endsWith(".md"));
  assert.ok(docs.length >= 10);
  let formulas = 0;
  for (const name of docs) {
    const html = markdownToHtml(readFileSync(join(DOCS, name), "utf8"));
    formulas += (html.match(/<math /g) ?? []).length;
    const text = html.replace(/<pre>[\s\S]*?<\/pre>|<code>[\s\S]*?<\/code>|<math [\s\S]*?<\/math>/g, "");
    assert.not.match(text, "$", `${name}: a dollar outside code and formulas (TeX that did not typeset?)`);
    // MathML Core (what Chromium and Firefox render) ignores mathvariant other than "normal": \mathbb, \mathcal and the like would show as plain letters
    const variants = [...html.matchAll(/mathvariant="([\w-]+)"/g)].map((m) => m[1]).filter((v) => v !== "normal");
    assert.equal(variants, [], `${name}: letter styles a browser will not draw`);
  }
  // the derivations of gmm.md alone hold dozens
  assert.ok(formulas > 100, `${formulas} formulas`);
});

test.run();
