// Command-line flags of the benches: `--name value` and the --json switch (one JSON document on
// stdout for bench/run.ts, the text on stderr).

/** The value after `--name`, or undefined. */
export function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** --json: stdout carries one JSON document, so text goes to stderr. */
export const json = process.argv.includes("--json");

/** A line of text: stdout, or stderr with --json. */
export const log = (s: string): void => void (json ? process.stderr : process.stdout).write(s + "\n");
