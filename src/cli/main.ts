#!/usr/bin/env node
// emlab's command line: one yargs command module per file in src/cli/.
// A UserError (bad flag, bad file) prints one line and exits 2; nothing else is written.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { UserError } from "../util/errors.js";
import { commands } from "./commands.js";

function die(message: string, code: number): never {
  process.stderr.write(`emlab: ${message.split("\n")[0]}\n`);
  process.exit(code);
}

// `emlab gmm --json | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

async function main(): Promise<void> {
  let cli = yargs(hideBin(process.argv))
    .scriptName("emlab")
    .usage("$0 <command> [options]\n\nGaussian mixtures by EM on a SIMD WebAssembly core, a GMM Bayes classifier for MNIST,\nand a VAE and a GAN trained on ONNX training-step graphs.")
    .strict()
    .demandCommand(1, "name a command (see emlab --help)")
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      die(msg, 2);
    });
  for (const c of commands) cli = cli.command(c as any);
  await cli.parseAsync();
}

main().catch((err: unknown) => {
  if (err instanceof UserError) die(err.message, 2);
  if (process.env.EMLAB_DEBUG) console.error(err);
  die(err instanceof Error ? err.message : String(err), 1);
});
