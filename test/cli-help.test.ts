// Every command's --help: examples that are real command lines (each split as a shell would,
// parsed by the real CLI and, where the command runs an experiment, turned into its run config by
// the command's own checks), numbers shown as numbers and choices as choices, not as [string].
import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parse as shellParse } from "shell-quote";
import { commands } from "../src/cli/commands.js";
import { CONFIG_OF, parseCommandLine } from "./twin/cli-parse.js";

const MAIN = fileURLToPath(new URL("../src/cli/main.js", import.meta.url));
const names = commands.map((c) => String(c.command));

/** An example's words as the shell passes them to emlab: "$0" first, redirections (`> file`) left out. */
function exampleArgv(line: string): string[] {
  const words = shellParse(line, (name) => `$${name}`);
  const args: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (typeof w === "string") args.push(w);
    else if ("op" in w && (w.op === ">" || w.op === "<")) i++;
    else throw new Error(`${line}: '${JSON.stringify(w)}' is not a plain word or a redirection`);
  }
  if (args[0] !== "$0") throw new Error(`${line}: does not start with $0`);
  return args.slice(1);
}

test("every command has examples, and each parses with the CLI and passes the command's checks", async () => {
  const failures: string[] = [];
  let parsed = 0;
  for (const c of commands) {
    if (c.examples.length === 0) failures.push(`${String(c.command)}: no examples`);
    for (const [line] of c.examples) {
      try {
        const argv = exampleArgv(line);
        if (argv[0] !== c.command) throw new Error(`runs '${argv[0]}', listed under '${String(c.command)}'`);
        const { command, argv: flags } = await parseCommandLine(argv);
        CONFIG_OF[command]?.(flags);
        parsed++;
      } catch (e) {
        failures.push(`${line}\n    ${(e as Error).message}`);
      }
    }
  }
  assert.ok(failures.length === 0, `${failures.length} example(s) failed:\n${failures.join("\n")}`);
  assert.is(parsed, commands.reduce((n, c) => n + c.examples.length, 0));
});

test("the check fails on an example the CLI rejects", async () => {
  const err = await parseCommandLine(exampleArgv("$0 gmm --covariance banded > x.txt")).catch((e: Error) => e);
  assert.match((err as Error).message, "--covariance: 'banded' is not one of diag, spherical, full");
  assert.throws(() => CONFIG_OF.gmm({ data: "gmm-default", k: "1", covariance: "diag", init: "kmeans++", seed: "x", "max-iter": 1, tol: 0, "reg-covar": 0, header: "auto", out: "o" }), /--seed: 'x'/);
});

test("--help: numbers are not [string], a quoted default is not a number, choices are not [string]; examples shown", () => {
  const failures: string[] = [];
  for (const name of names) {
    const help = execFileSync(process.execPath, [MAIN, name, "--help"], { encoding: "utf8" });
    assert.match(help, "Examples:", name);
    // options as yargs prints them: a flag at the start of a line, then its description and extras, wrapped onto indented lines
    const blocks: string[] = [];
    for (const l of help.slice(0, help.indexOf("Examples:")).split("\n")) {
      if (/^\s+(-\w, )?--?[\w-]+\s/.test(l)) blocks.push(l);
      else if (/^\s+\S/.test(l) && blocks.length) blocks[blocks.length - 1] += " " + l.trim();
    }
    assert.ok(blocks.length >= 5, `${name}: ${blocks.length} options found in its help`);
    for (const line of blocks) {
      const flag = /--?[\w-]+/.exec(line)![0];
      if (/\((integer|number)\b/.test(line) && line.includes("[string]")) failures.push(`${name} ${flag}: a number shown as [string]`);
      if (line.includes("[choices:") && line.includes("[string]")) failures.push(`${name} ${flag}: a choice shown as [string]`);
      const quoted = /\[default: "([^"]*)"\]/.exec(line);
      if (quoted && quoted[1].trim() !== "" && Number.isFinite(Number(quoted[1]))) failures.push(`${name} ${flag}: the number ${quoted[1]} shown as a string`);
    }
  }
  assert.equal(failures, []);
});


// `npm run bench` takes flags too: an unknown one once ran every bench (about 8 minutes) instead of stopping
const BENCH = fileURLToPath(new URL("../bench/run.js", import.meta.url));
test("npm run bench: --help prints usage, an unknown flag or bench name is a one-line error with exit 2, --list names the benches", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, [BENCH, ...args], { encoding: "utf8", timeout: 30_000 });
  const help = run("--help");
  assert.is(help.status, 0);
  assert.match(help.stdout, /^usage: npm run bench -- \[--only a,b\]/);
  for (const [args, expect] of [
    [["--bogus"], /^bench: Unknown option '--bogus' \(npm run bench -- --help\)$/],
    [["--only", "nope"], /^bench: no bench named nope \(there are: .*em-speed.*\)$/],
    [["--timeout-min", "x"], /^bench: --timeout-min: 'x' is not a number of minutes > 0$/],
  ] as const) {
    const r = run(...args);
    assert.is(r.status, 2, args.join(" "));
    assert.match(r.stderr.replace(/\n$/, ""), expect);
    assert.is(r.stderr.trim().split("\n").length, 1);
  }
  const list = run("--list", "--only", "em-speed,vae");
  assert.is(list.stdout, "em-speed\nvae\n");
});

test.run();
