// emlab/core outside Node: its import graph holds no `node:` module, the package exports
// resolve, every export is documented, and examples/browser/ runs in headless Chromium with
// the same result as the CLI (`emlab gmm --data gmm-default --k 5 --seed 1` → runs[0].nll).
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type Browser } from "playwright-core";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CORE_ENTRY = join(ROOT, "build", "src", "core", "index.js");
const CLI = join(ROOT, "build", "src", "cli", "main.js");
const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT = join(ROOT, "build", "browser-example.png");
/** The only bare imports the core may have; index.html's import map resolves exactly these. */
const BROWSER_BARE_IMPORTS = ["pure-rand"];

// ---------------------------------------------------------------------------------------
// helpers

/** Static specifiers of one ES module's `import … from "x"`, `export … from "x"` and `import "x"`. */
function staticImports(source: string): string[] {
  const out: string[] = [];
  const re = /(?:^|[;\s])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|(?:^|[;\s])import\s*["']([^"']+)["']/g;
  for (const m of source.matchAll(re)) out.push(m[1] ?? m[2]);
  return out;
}

/** Walk the relative imports from `entry`; every file reached, and every non-relative specifier. */
function importGraph(entry: string): { files: string[]; bare: Set<string> } {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of staticImports(readFileSync(file, "utf8"))) {
      if (spec.startsWith(".")) stack.push(resolve(dirname(file), spec));
      else bare.add(spec);
    }
  }
  return { files: [...seen], bare };
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".css": "text/css",
  ".csv": "text/csv; charset=utf-8",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

/** A static file server for `root` on 127.0.0.1 and a free port (what `python3 -m http.server` does). */
function serveStatic(root: string): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    let file = resolve(root, "." + path);
    if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, "index.html");
    if (!existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`);
      return;
    }
    res.writeHead(200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });
}

/** `emlab gmm --data gmm-default --k 5 --seed 1 --json` (outputs into a temporary --out). */
function cliGmm(): Promise<{ runs: { k: number; nll: number }[]; model: { weights: number[] } }> {
  const out = mkdtempSync(join(tmpdir(), "emlab-browser-"));
  const args = [CLI, "gmm", "--data", "gmm-default", "--k", "5", "--seed", "1", "--json", "--out", out];
  return new Promise((ok, fail) => {
    execFile(process.execPath, args, { cwd: ROOT, env: { ...process.env, EMLAB_PROGRESS: "0" } }, (err, stdout, stderr) => {
      rmSync(out, { recursive: true, force: true });
      if (err) fail(new Error(`emlab gmm failed: ${stderr.trim()}`));
      else ok(JSON.parse(stdout));
    });
  });
}

// ---------------------------------------------------------------------------------------
// the package entry

test("emlab/core imports no node: module; its bare imports are the import map's", () => {
  const { files, bare } = importGraph(CORE_ENTRY);
  assert.ok(files.length > 5, `the walk reached only ${files.length} files`);
  const nodeOnly = [...bare].filter((s) => s.startsWith("node:") || !BROWSER_BARE_IMPORTS.includes(s));
  assert.equal(nodeOnly, [], `emlab/core's import graph reaches ${nodeOnly.join(", ")}`);
  const html = readFileSync(join(ROOT, "examples", "browser", "index.html"), "utf8");
  const map = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]).imports as Record<string, string>;
  assert.equal(Object.keys(map).sort(), [...bare].sort());
  for (const target of Object.values(map)) {
    const file = join(ROOT, "examples", "browser", target);
    assert.ok(existsSync(file), `import map target ${target} does not exist`);
    // ES module syntax (the browser cannot run CommonJS).
    assert.ok(/^\s*(?:import|export)\s/m.test(readFileSync(file, "utf8")), `${target} is not an ES module`);
  }
});

test("package exports: emlab/core and emlab/core.wasm resolve by the package's own name", async () => {
  const spec = "emlab/core"; // a variable: tsc must not resolve it before build/ exists
  const core = await import(spec);
  for (const name of ["loadCore", "loadCoreSync", "Core", "setDefaultCore", "getCore", "matrix", "takeRows", "GaussianMixture", "sortByWeight", "PCA", "eigh"]) {
    assert.ok(name in core, `emlab/core does not export ${name}`);
  }
  const wasmUrl = import.meta.resolve("emlab/core.wasm");
  assert.is(wasmUrl, pathToFileURL(join(ROOT, "build", "core.wasm")).href);
  // A Node user's path: bytes from the exported file, loadCoreSync, a fit. (Passed as `core`, not
  // set as the default: other test files in this process share the default.)
  const c = core.loadCoreSync(readFileSync(new URL(wasmUrl)));
  const X = core.matrix(Float32Array.from([0, 0.1, 0.2, 5, 5.1, 5.2]), 6, 1);
  const gm = new core.GaussianMixture({ nComponents: 2, seed: 0, core: c }).fit(X);
  const means = Array.from(gm.means as Float64Array).sort((a, b) => a - b);
  assert.ok(Math.abs(means[0] - 0.1) < 1e-6 && Math.abs(means[1] - 5.1) < 1e-6, `means ${means}`);
  assert.is(c.allocatedBytes, 0, "the fit left memory allocated in the arena");
});

test("docs/core-api.md has a section for every export of emlab/core", () => {
  const dts = readFileSync(join(ROOT, "build", "src", "core", "index.d.ts"), "utf8");
  const names = [...dts.matchAll(/export (?:type )?\{([^}]*)\}/g)].flatMap((m) =>
    m[1].split(",").map((s) => s.trim().replace(/^type\s+/, "")).filter(Boolean),
  );
  assert.ok(names.length >= 20, `found only ${names.length} exports in index.d.ts`);
  // A heading documents the name that opens its code span: "### `class Core`", "### `eigh(A: …): Eigh`".
  const documented = new Set<string>();
  for (const line of readFileSync(join(ROOT, "docs", "core-api.md"), "utf8").split("\n")) {
    const m = /^#+ `(?:class |interface |type )?([A-Za-z_$][\w$]*)/.exec(line);
    if (m) documented.add(m[1]);
  }
  const missing = names.filter((n) => !documented.has(n));
  assert.equal(missing, [], `docs/core-api.md has no heading for ${missing.join(", ")}`);
});

// ---------------------------------------------------------------------------------------
// the browser example

test("examples/browser in headless Chromium: same NLL and weights as the CLI, no console errors", async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this)`);
  }
  const cli = cliGmm();
  const { server, origin } = await serveStatic(ROOT);
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const page = await browser.newPage({ viewport: { width: 1000, height: 720 } });
    const problems: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console.error: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    page.on("response", (r) => {
      if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await page.goto(`${origin}/examples/browser/`);
    await page.waitForFunction(() => document.getElementById("nll")!.textContent !== "" || document.getElementById("error")!.textContent !== "", undefined, { timeout: 60_000 });
    const shown = await page.evaluate(() => ({
      nll: document.getElementById("nll")!.textContent!,
      error: document.getElementById("error")!.textContent!,
      weights: document.getElementById("weights")!.dataset.weights ?? "",
      ellipses: document.querySelectorAll("#plot ellipse").length,
      points: document.querySelectorAll("#plot circle").length,
    }));
    writeFileSync(SCREENSHOT, await page.screenshot({ fullPage: true }));
    assert.is(shown.error, "", `the page failed: ${shown.error}`);
    assert.equal(problems, []);
    const expected = await cli;
    assert.is(expected.runs.length, 1);
    assert.is(expected.runs[0].k, 5);
    assert.is(shown.nll, String(expected.runs[0].nll), "the page's NLL differs from the CLI's runs[0].nll");
    assert.equal(JSON.parse(shown.weights), expected.model.weights);
    assert.is(shown.ellipses, 2 * 5);
    assert.is(shown.points, 3000 + 5);
  } finally {
    await browser?.close();
    server.close();
  }
});

test.run();
