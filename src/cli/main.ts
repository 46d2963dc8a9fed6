#!/usr/bin/env -S node --initial-old-space-size=256
// emlab's command line: one yargs command module per file in src/cli/, put together in program.ts.
// A UserError (bad flag, bad file) prints one line and exits 2; nothing else is written.
// --initial-old-space-size (also in package.json's start script): onnxruntime-node copies every
// output of a training step into a fresh ArrayBuffer (~35 MB per GAN step pair); with the whole
// CLI loaded, V8's small initial old-generation limit turns that external-memory churn into one
// mark-compact per step pair (≈ 75 per 100 pairs instead of ≈ 12), which costs ≈ 12 % of a GAN
// epoch (docs/gan.md, "Speed"). The flag only moves when V8 collects; memory is committed as used.
// SIGINT/SIGTERM print one line and exit 130/143; outputs already written stay complete
// (they are written atomically), see docs/reliability.md.
import "./v8-flags.js";
import "./signals.js";
import { hideBin } from "yargs/helpers";
import { UserError } from "../util/errors.js";
import { program } from "./program.js";

function die(message: string, code: number): never {
  process.stderr.write(`emlab: ${message.split("\n")[0]}\n`);
  process.exit(code);
}

// `emlab gmm --json | head` closes stdout early: that is the reader's choice, not an error.
process.stdout.on("error", (err: NodeJS.ErrnoException) => {
  if (err.code === "EPIPE") process.exit(0);
  throw err;
});

const argv = hideBin(process.argv);

async function main(): Promise<void> {
  await program(argv).parseAsync();
}

main().catch((err: unknown) => {
  if (err instanceof UserError) die(err.message, 2);
  if (process.env.EMLAB_DEBUG) console.error(err);
  die(err instanceof Error ? err.message : String(err), 1);
});
