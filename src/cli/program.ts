// The yargs program of emlab, without side effects: main.ts runs it; tests parse with it
// in-process. yargs' own complaints become one-line UserErrors naming the flag.
import yargs, { type Argv, type CommandModule } from "yargs";
import { UserError } from "../util/errors.js";
import { choiceError, type Command } from "./args.js";
import { commands } from "./commands.js";

/** yargs' own messages, reworded so the first line names the flag with its dashes (or the word). */
function yargsMessage(msg: string, argv: string[] = []): string {
  const first = msg.split("\n")[0];
  const word = argv.find((a) => !a.startsWith("-"));
  const flags = (list: string) => list.split(", ").map((f) => `--${f}`).join(", ");
  let m: RegExpExecArray | null;
  if ((m = /^Did you mean (.+)\?$/.exec(first))) return `unknown command '${word ?? ""}' (did you mean ${m[1]}?)`;
  if ((m = /^Not enough arguments following: (.+)$/.exec(first))) return `${flags(m[1])}: expected a value after the flag`;
  if ((m = /^Unknown arguments?: (.+)$/.exec(first))) return `unknown argument ${m[1].split(", ").map((a) => `'${a}'`).join(", ")} (see emlab --help)`;
  if ((m = /^Missing required arguments?: (.+)$/.exec(first))) return `${flags(m[1])}: required`;
  // a choice flag's bad value: `Argument: covariance, Given: "Diag", Choices: "diag", "spherical", "full"` on the next line
  if (first === "Invalid values:" && (m = /Argument: (.+?), Given: (.*?), Choices: (.*)$/m.exec(msg))) {
    const quoted = (list: string) => [...list.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((q) => JSON.parse(`"${q[1]}"`) as string);
    return choiceError(m[1], quoted(m[2]).join(", "), quoted(m[3]));
  }
  return first;
}

/** The flags of every command, listed after a command's own in its help. */
const GLOBAL_FLAGS = ["quiet", "help", "version"];

/**
 * A command as yargs gets it: its examples added to its help, and every flag that is not a
 * boolean takes a value (`--k` with nothing after it is an error, not the default). A boolean flag
 * given as `--json=VALUE` takes only true or false (yargs reads anything else as false).
 */
function prepare(c: Command<any>, argv: string[] = []): CommandModule<any, any> {
  const build = c.builder;
  if (typeof build !== "function") return c;
  return {
    ...c,
    builder: (y: Argv) => {
      let built = (build as (y: Argv) => Argv)(y) ?? y;
      // what it does as a shell comment above the command: yargs' two columns would wrap long commands
      for (const [command, description] of c.examples) built = built.example(`# ${description}\n${command}`, "");
      const options = (built as any).getOptions() as { key: Record<string, unknown>; boolean: string[] };
      for (const a of argv) {
        const m = /^--([^=]+)=(.*)$/.exec(a);
        if (m && options.boolean.includes(m[1]) && m[2] !== "true" && m[2] !== "false") throw new UserError(`--${m[1]}: '${m[2]}' is not true or false`);
      }
      // the command's own flags first, then those every command takes
      built = built.group(Object.keys(options.key).filter((k) => !GLOBAL_FLAGS.includes(k)), "Options:").group(GLOBAL_FLAGS, "Every command:");
      const valued = Object.keys(options.key).filter((k) => !options.boolean.includes(k));
      return valued.length ? built.requiresArg(valued) : built;
    },
  };
}

/** The whole command line for `argv` (without node and script); `parseAsync()` runs it. */
export function program(argv: string[]): Argv {
  let cli = yargs(argv)
    .scriptName("emlab")
    .usage("$0 <command> [options]\n\nGaussian mixtures by EM on a SIMD WebAssembly core, a GMM Bayes classifier for MNIST,\nand a VAE and a GAN trained on ONNX training-step graphs.")
    .strict()
    // numbers stay text: the commands check them (args.ts) and quote a bad value as it was typed
    .parserConfiguration({ "parse-numbers": false })
    .option("quiet", { type: "boolean", default: false, global: true, describe: "no progress on stderr (bars, per-epoch lines); warnings and errors still print" })
    .demandCommand(1, "name a command (see emlab --help)")
    .recommendCommands()
    .help()
    .alias("h", "help")
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      // yargs' own complaints (YError) are about the command line, like a missing value
      if (err && err.name !== "YError") throw err;
      throw new UserError(yargsMessage(msg ?? err?.message ?? "", argv));
    });
  for (const c of commands) cli = cli.command(prepare(c, argv) as any);
  return cli;
}
