// The "How to reproduce" commands of the report, checked against the real CLI: for every stage
// in every mode, each stand-alone command is split as a POSIX shell would (shell-quote), parsed
// by the yargs program of src/cli/program.ts (stopped before its handler: nothing runs), turned
// into its run config by the command's own flag checks, and compared with the stage's config,
// so a command that no longer parses, or that would compute something else, fails with its text.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as shellParse } from "shell-quote";
import { GMM_SWEEP_DEFAULTS } from "../src/experiments/gmm-sweep.js";
import { canonicalJson } from "../src/report/canonical.js";
import { EMLAB, type Mode, type Stage } from "../src/report/stage.js";
import { compareStage } from "../src/report/stages/compare.js";
import { ganStage, ganThreads } from "../src/report/stages/gan.js";
import { gmmStage, SWEEP_THREADS } from "../src/report/stages/gmm.js";
import { STAGES } from "../src/report/stages/index.js";
import { mnistStage } from "../src/report/stages/mnist.js";
import { vaeStage } from "../src/report/stages/vae.js";
import { CONFIG_OF, parseCommandLine } from "./twin/cli-parse.js";

const MODES: Mode[] = ["full", "quick", "tiny"];
const SEEDS = [1, 7];
const THREADS = 2;
// an --out that needs quoting, as in test/report.test.ts (never created: nothing runs)
const OUT = join(tmpdir(), `emlab-reproduce r<script>alert("x")<\\script>&amp;'q`);
/** Placeholders a command may use, declared in its trailing comment (`# K_BEST: …`), and the value the test puts in. */
const PLACEHOLDERS: Record<string, string> = { K_BEST: "3" };

/** What a stage's commands must parse to, in order: the command, its run config, its --out. */
type Expected = { command: string; config: unknown; out: string };

/** One stage and what its commands must reproduce (a stage added to the list needs one here). */
interface Check {
  id: string;
  commands(mode: Mode, seed: number): { lines: string[]; expected: Expected[] };
}

function check<C, R>(stage: Stage<C, R>, expected: (c: C, dir: string) => Expected[]): Check {
  return {
    id: stage.id,
    commands(mode, seed) {
      const c = stage.config(mode, seed);
      const dir = join(OUT, stage.dirName);
      return { lines: stage.commands(c, dir, THREADS), expected: expected(c, dir) };
    },
  };
}

const CHECKS: Check[] = [
  // --header is left at its default: the stage reads the bundled CSV as the run does; its sweep runs on SWEEP_THREADS, whatever --threads
  check(gmmStage, (c, dir) => [{ command: "gmm", config: { ...c, header: GMM_SWEEP_DEFAULTS.header, threads: SWEEP_THREADS }, out: dir }]),
  check(mnistStage, (c, dir) => [
    { command: "mnist", config: { ...c.sweep, threads: THREADS }, out: dir },
    { command: "mnist", config: { ...c.sweep, ks: [Number(PLACEHOLDERS.K_BEST)], pca: c.best.pca, covarianceType: c.best.covarianceType, threads: THREADS }, out: join(dir, "full") },
  ]),
  check(vaeStage, (c, dir) => [{ command: "vae", config: { ...c, threads: THREADS }, out: dir }]),
  check(ganStage, (c, dir) => [{ command: "gan", config: { ...c, threads: ganThreads(THREADS) }, out: dir }]),
  check(compareStage, (c, dir) => {
    const { inputs: _i, ...rest } = c;
    return [{ command: "compare", config: { vae: join(OUT, vaeStage.dirName), gan: join(OUT, ganStage.dirName), ...rest, threads: THREADS }, out: dir }];
  }),
];

/** Split `line` as a shell would, substitute its declared placeholders, and parse it with the real CLI; errors carry the line. */
async function parseLine(line: string): Promise<{ command: string; argv: Record<string, unknown> }> {
  const fail = (why: string): never => {
    throw new Error(`${line}\n    ${why}`);
  };
  const words = shellParse(line);
  const last = words[words.length - 1];
  const comment = typeof last === "object" && "comment" in last ? (words.pop(), last.comment) : "";
  const args = words.filter((w): w is string => typeof w === "string");
  if (args.length !== words.length) fail(`is not one plain command: ${JSON.stringify(words.filter((w) => typeof w !== "string"))}`);
  const declared = [...comment.matchAll(/\b([A-Z][A-Z_]+):/g)].map((m) => m[1]);
  for (const name of declared) if (!(name in PLACEHOLDERS)) fail(`declares a placeholder ${name} the test has no value for`);
  const argv = args.map((w) => (declared.includes(w) ? PLACEHOLDERS[w] : w));
  const prefix = EMLAB.split(" ");
  if (prefix.some((p, i) => argv[i] !== p)) fail(`does not start with '${EMLAB}'`);
  try {
    return await parseCommandLine(argv.slice(prefix.length));
  } catch (e) {
    return fail(`the CLI rejects it: ${(e as Error).message}`);
  }
}

test("every stage has a reproduce check, and every check a stage", () => {
  assert.equal(CHECKS.map((c) => c.id), STAGES.map((s) => s.id));
});

for (const mode of MODES) {
  test(`${mode}: every stage's commands parse with the CLI and build the stage's own config`, async () => {
    const failures: string[] = [];
    let parsed = 0;
    for (const seed of SEEDS) {
      for (const chk of CHECKS) {
        const { lines, expected } = chk.commands(mode, seed);
        if (lines.length !== expected.length) failures.push(`${chk.id}: ${lines.length} commands, the check expects ${expected.length}`);
        for (const [i, line] of lines.entries()) {
          try {
            const { command, argv } = await parseLine(line);
            const want = expected[i];
            if (!want) continue;
            if (command !== want.command) throw new Error(`${line}\n    runs '${command}', expected '${want.command}'`);
            if (argv.out !== want.out) throw new Error(`${line}\n    --out is ${JSON.stringify(argv.out)}, expected ${JSON.stringify(want.out)}`);
            let built: unknown;
            try {
              built = CONFIG_OF[command](argv);
            } catch (e) {
              throw new Error(`${line}\n    its flags fail the command's checks: ${(e as Error).message}`);
            }
            if (canonicalJson(built) !== canonicalJson(want.config)) {
              throw new Error(`${line}\n    builds ${canonicalJson(built)}\n    the stage's config is ${canonicalJson(want.config)}`);
            }
            parsed++;
          } catch (e) {
            failures.push(`${chk.id} (seed ${seed}): ${(e as Error).message}`);
          }
        }
      }
    }
    assert.ok(failures.length === 0, `${failures.length} command(s) failed:\n${failures.join("\n")}`);
    // 1a, 1b (two), 2a, 2b, 2c per seed
    assert.is(parsed, 6 * SEEDS.length);
  });
}

test("the check fails on a command the CLI rejects, with the command's text", async () => {
  const line = `${EMLAB} gmm --k 1-3 --covariance banded --out x`;
  try {
    await parseLine(line);
    assert.unreachable("parsed");
  } catch (e) {
    assert.is((e as Error).message, `${line}\n    the CLI rejects it: --covariance: 'banded' is not one of diag, spherical, full`);
  }
  try {
    await parseLine(`${EMLAB} mnist --k K_OTHER --out x   # K_OTHER: unknown`);
    assert.unreachable("parsed");
  } catch (e) {
    assert.match((e as Error).message, "declares a placeholder K_OTHER the test has no value for");
  }
});

test.run();
