// Parsing a command line with the real yargs program of src/cli/program.ts, stopped before its
// handler (nothing runs): what test/reproduce.test.ts does with the report's commands and
// test/cli-help.test.ts with every command's --help examples.
import { compareConfig } from "../../src/cli/compare.js";
import { ganConfig } from "../../src/cli/gan.js";
import { gmmConfig } from "../../src/cli/gmm.js";
import { mnistConfig } from "../../src/cli/mnist.js";
import { program } from "../../src/cli/program.js";
import { vaeConfig } from "../../src/cli/vae.js";

/** The run config each command builds from its parsed flags, exactly as its handler does first (the commands that run an experiment). */
export const CONFIG_OF: Record<string, (args: any) => unknown> = {
  gmm: (a) => gmmConfig(a).config,
  mnist: (a) => mnistConfig(a),
  vae: (a) => vaeConfig(a),
  gan: (a) => ganConfig(a).config,
  compare: (a) => compareConfig(a).config,
};

/** Thrown by the middleware once yargs has parsed and validated a command line: the handler never runs. */
class Parsed extends Error {
  constructor(readonly argv: Record<string, unknown>) {
    super("parsed");
  }
}

/** The command and the flags yargs hands its handler for `argv` (without node and script); a CLI error is thrown as it is. */
export async function parseCommandLine(argv: string[]): Promise<{ command: string; argv: Record<string, unknown> }> {
  try {
    await program(argv)
      .middleware((a) => {
        throw new Parsed(a);
      }, false)
      .parseAsync();
  } catch (e) {
    if (e instanceof Parsed) return { command: argv[0], argv: e.argv };
    throw e;
  }
  throw new Error(`the CLI ran '${argv.join(" ")}' instead of stopping after parsing`);
}
