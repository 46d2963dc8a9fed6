// The package as a user gets it: importing emlab leaves the host's V8 flags alone (only the CLI
// sets its own), and a packed tarball installs without the compiler and build tools
// (--omit=dev) and runs both the CLI and the library with the same results as this checkout.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "build", "src", "cli", "main.js");

/** Every module reachable by relative static imports from `entry`, with its source. */
function importGraph(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const stack = [entry];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const src = readFileSync(file, "utf8");
    seen.set(file, src);
    for (const m of src.matchAll(/(?:^|[;\s])(?:import|export)\s[^"'`;]*?from\s*["'](\.[^"']+)["']|(?:^|[;\s])import\s*["'](\.[^"']+)["']/g)) {
      stack.push(resolve(dirname(file), m[1] ?? m[2]));
    }
  }
  return seen;
}

test("no module of emlab or emlab/core sets V8 flags; the CLI sets its own before anything else", () => {
  for (const entry of ["build/src/index.js", "build/src/core/index.js"]) {
    const graph = importGraph(join(ROOT, entry));
    assert.ok(graph.size > 10, `${entry}: the walk reached only ${graph.size} modules`);
    const setters = [...graph].filter(([, src]) => /setFlagsFromString|node:v8/.test(src)).map(([f]) => f.slice(ROOT.length));
    assert.equal(setters, [], `${entry} reaches modules that touch V8 flags`);
  }
  const main = readFileSync(CLI, "utf8");
  const firstImport = /^import\s+["']([^"']+)["']/m.exec(main)?.[1];
  assert.is(firstImport, "./v8-flags.js", "main.js imports v8-flags.js first");
  assert.match(readFileSync(join(ROOT, "build", "src", "cli", "v8-flags.js"), "utf8"), /setFlagsFromString\("--no-liftoff"\)/);
});

test("importing emlab leaves Liftoff on for the host program (V8 natives syntax)", () => {
  // %IsLiftoffFunction: with --no-liftoff a kernel is compiled by TurboFan before its first call.
  const probe = (flags: string[]) =>
    execFileSync(process.execPath, [...flags, "--allow-natives-syntax", "--input-type=commonjs", "-e", `
      import(${JSON.stringify(join(ROOT, "build", "src", "index.js"))}).then(({ nodeCore }) => {
        const core = nodeCore();
        core.exports.sumF32(core.f32(4).ptr, 4);
        console.log(String(%IsLiftoffFunction(core.exports.sumF32)));
      });`], { encoding: "utf8" }).trim();
  assert.is(probe([]), "true", "after import emlab, a kernel's first call runs Liftoff code");
  assert.is(probe(["--no-liftoff"]), "false", "the probe tells the two apart");
});

test("npm pack → npm install --omit=dev: no compiler installed; the CLI and the library give this checkout's results", () => {
  const dir = mkdtempSync(join(tmpdir(), "emlab-pack-"));
  try {
    const npm = (args: string[], cwd: string, env: NodeJS.ProcessEnv = {}) => {
      const r = spawnSync("npm", args, { cwd, encoding: "utf8", env: { ...process.env, ...env } });
      if (r.status !== 0) assert.unreachable(`npm ${args.join(" ")} failed:\n${r.stderr.slice(-2000)}`);
      return r.stdout;
    };
    // build/ is fresh (npm test builds first), so pack without re-running prepare.
    const packed = JSON.parse(npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], ROOT))[0];
    const files = (packed.files as { path: string }[]).map((f) => f.path);
    for (const f of ["build/core.wasm", "build/core-mt.wasm", "build/src/index.js", "build/src/cli/main.js", "LICENSE", "data/gmm_dataset.csv"]) {
      assert.ok(files.includes(f), `the tarball lacks ${f}`);
    }
    const stray = files.filter((f) => /^(src|test|bench|assembly)\/|^build\/(test|bench)\/|\.map$/.test(f));
    assert.equal(stray, [], "the tarball carries sources, tests or source maps");

    const app = join(dir, "app");
    execFileSync("mkdir", [app]);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    // onnxruntime-node's postinstall would fetch optional CUDA libraries (README, "Install").
    npm(["install", "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund", join(dir, packed.filename)], app, {
      ONNXRUNTIME_NODE_INSTALL: "skip",
    });
    for (const tool of ["assemblyscript", "binaryen", "typescript"]) {
      assert.not.ok(existsSync(join(app, "node_modules", tool)), `${tool} was installed at run time`);
    }

    const installed = JSON.parse(execFileSync("npx", ["--no-install", "emlab", "gmm", "-k", "2", "--json"], { cwd: app, encoding: "utf8" }));
    const here = JSON.parse(execFileSync(process.execPath, [CLI, "gmm", "-k", "2", "--json"], { encoding: "utf8" }));
    assert.ok(Object.is(installed.runs[0].nll, here.runs[0].nll), `nll ${installed.runs[0].nll} vs ${here.runs[0].nll}`);

    // The library: emlab/core finds core.wasm next to itself (loadCore() without an argument).
    const script = `
      import { loadCore, setDefaultCore, matrix, GaussianMixture } from "emlab/core";
      setDefaultCore(await loadCore());
      const X = matrix(Float32Array.from([0, 0.1, 0.2, 5, 5.1, 5.3]), 6, 1);
      console.log(JSON.stringify(new GaussianMixture({ nComponents: 2, seed: 0 }).fit(X).nllTrace));`;
    writeFileSync(join(app, "fit.mjs"), script);
    const trace = execFileSync(process.execPath, ["fit.mjs"], { cwd: app, encoding: "utf8" }).trim();
    writeFileSync(join(dir, "fit-here.mjs"), script.replace('"emlab/core"', JSON.stringify(join(ROOT, "build", "src", "core", "index.js"))));
    assert.is(trace, execFileSync(process.execPath, [join(dir, "fit-here.mjs")], { encoding: "utf8" }).trim());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
