// Flag parsing shared by the commands: numbers with ranges, choices, K lists ("5", "1-10",
// "1,3,5"). Every error is a one-line UserError naming the flag.
import { existsSync, statSync } from "node:fs";
import type { CommandModule } from "yargs";
import { UserError } from "../util/errors.js";

/** An example in a command's --help: a command line that works ("$0" is emlab; test/cli-help.test.ts parses each) and what it does. */
export type Example = readonly [command: string, description: string];

/** The flags every command takes (program.ts declares them). */
export interface GlobalArgs {
  /** --quiet: no progress on stderr. */
  quiet: boolean;
}

/** An emlab command: its yargs module (its handler gets its flags A and the global ones), and the examples its --help shows (program.ts adds them). Command<any>: any command. */
export interface Command<A> extends CommandModule<{}, A & GlobalArgs> {
  examples: readonly Example[];
}

export interface NumberRule {
  integer?: boolean;
  /** Smallest allowed value (inclusive). */
  min?: number;
  /** Values must be strictly greater than this. */
  above?: number;
  max?: number;
  /** Values must be strictly less than this. */
  below?: number;
}

/** --seed of every command: a 31-bit integer, the range of the seeded Rng streams. */
export const SEED_RULE: NumberRule = { integer: true, min: 0, max: 2 ** 31 - 1 };

/** Most threads --threads accepts (each is a worker with its own stack and WebAssembly instance, or an onnxruntime thread). */
export const MAX_THREADS = 256;

/** --threads of every command that takes it. */
export const THREADS_RULE: NumberRule = { integer: true, min: 1, max: MAX_THREADS };

/** A rule as help text: "integer ≥ 1", "number > 0", "integer 0–2147483647", "number ≥ 0, < 1". */
export function ruleText(rule: NumberRule): string {
  const kind = rule.integer ? "integer" : "number";
  if (rule.min !== undefined && rule.max !== undefined) return `${kind} ${rule.min}–${rule.max}`;
  const bounds = [
    rule.min !== undefined ? `≥ ${rule.min}` : "",
    rule.above !== undefined ? `> ${rule.above}` : "",
    rule.max !== undefined ? `≤ ${rule.max}` : "",
    rule.below !== undefined ? `< ${rule.below}` : "",
  ].filter((b) => b !== "");
  return [kind, bounds.join(", ")].filter((t) => t !== "").join(" ");
}

/**
 * The yargs option of a numeric flag: no yargs type, so the text reaches parseNumberFlag as typed
 * (program.ts turns yargs' number parsing off) and an error quotes it; help shows the rule the
 * value is checked against (`rule`, the same object the command parses with) and the default as
 * a number, not a `[string]`.
 */
export function numberOption(describe: string, rule: NumberRule, defaultValue?: number): { describe: string; default?: number; defaultDescription?: string } {
  const text = `${describe} (${ruleText(rule)})`;
  if (defaultValue === undefined) return { describe: text };
  // 1e-5 rather than 0.00001
  const shown = defaultValue !== 0 && Math.abs(defaultValue) < 1e-3 ? defaultValue.toExponential() : String(defaultValue);
  return { describe: text, default: defaultValue, defaultDescription: shown };
}

/** The yargs option of --threads: the default is every core of the machine running the command (defaultThreads()). */
export function threadsOption(describe: string, cores: number): { describe: string; defaultDescription: string } {
  return { describe: `${describe} (${ruleText(THREADS_RULE)})`, defaultDescription: `all cores, ${cores} here` };
}

/** --threads: the value given, or `cores` (all of them) when absent. */
export function parseThreadsFlag(raw: unknown, cores: number): number {
  return raw === undefined ? cores : parseNumberFlag("threads", raw, THREADS_RULE);
}

/** yargs hands over an array when a flag is repeated; take the single value or complain. */
function single(flag: string, raw: unknown): unknown {
  if (Array.isArray(raw)) throw new UserError(`--${flag}: given ${raw.length} times, expected once`);
  return raw;
}

/** Parse a numeric flag given as text (yargs type "string"), checking it against `rule`. */
export function parseNumberFlag(flag: string, raw: unknown, rule: NumberRule = {}): number {
  raw = single(flag, raw);
  const text = typeof raw === "number" ? String(raw) : typeof raw === "string" ? raw.trim() : "";
  const v = text === "" ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new UserError(`--${flag}: '${String(raw)}' is not a ${rule.integer ? "whole number" : "finite number"}`);
  if (rule.integer && !Number.isInteger(v)) throw new UserError(`--${flag}: '${String(raw)}' is not a whole number`);
  if (rule.min !== undefined && v < rule.min) throw new UserError(`--${flag}: ${text} is below the minimum ${rule.min}`);
  if (rule.above !== undefined && v <= rule.above) throw new UserError(`--${flag}: ${text} must be greater than ${rule.above}`);
  if (rule.max !== undefined && v > rule.max) throw new UserError(`--${flag}: ${text} is above the maximum ${rule.max}`);
  if (rule.below !== undefined && v >= rule.below) throw new UserError(`--${flag}: ${text} must be less than ${rule.below}`);
  return v;
}

/** Like parseNumberFlag, but undefined when the flag is absent. */
export function parseOptionalNumberFlag(flag: string, raw: unknown, rule: NumberRule = {}): number | undefined {
  return raw === undefined ? undefined : parseNumberFlag(flag, raw, rule);
}

/** A string flag that must be given at most once. */
export function parseStringFlag(flag: string, raw: unknown): string {
  raw = single(flag, raw);
  if (typeof raw !== "string" && typeof raw !== "number") throw new UserError(`--${flag}: expected a value`);
  const s = String(raw);
  if (s === "") throw new UserError(`--${flag}: expected a value, got an empty string`);
  return s;
}

/** The message of a value that is not one of a flag's choices: the one shape for every choice flag (also yargs' own check, see program.ts). */
export function choiceError(flag: string, value: string, choices: readonly string[]): string {
  return `--${flag}: '${value}' is not one of ${choices.join(", ")}`;
}

/** A choice flag: one of `choices`, given once. */
export function parseChoice<T extends string>(flag: string, raw: unknown, choices: readonly T[]): T {
  const v = parseStringFlag(flag, raw);
  if (!(choices as readonly string[]).includes(v)) throw new UserError(choiceError(flag, v, choices));
  return v as T;
}

/** An output directory flag: a value, and not the name of an existing file. */
export function parseOutFlag(raw: unknown, flag = "out"): string {
  const out = parseStringFlag(flag, raw);
  if (existsSync(out) && !statSync(out).isDirectory()) throw new UserError(`--${flag}: '${out}' exists and is not a directory`);
  return out;
}

/** Largest K list we accept from a range, so a typo like 1-1000000 fails fast. */
const MAX_K_COUNT = 1000;

/** Parse a K list: "5", "1-10", "1,3,5" or mixed ("1-3,8"); integers ≥ 1, returned sorted and unique. */
export function parseKList(raw: unknown, flag = "k"): number[] {
  const text = parseStringFlag(flag, raw).trim();
  const out = new Set<number>();
  const bad = (why: string): never => {
    throw new UserError(`--${flag}: '${text}' ${why} (use e.g. 5, 1-10 or 1,3,5)`);
  };
  for (const part of text.split(",")) {
    const p = part.trim();
    const dash = p.indexOf("-", 1);
    const ends = dash > 0 ? [p.slice(0, dash), p.slice(dash + 1)] : [p];
    const nums = ends.map((e) => (/^\s*[+-]?\d+\s*$/.test(e) ? Number(e) : NaN));
    if (nums.some((v) => !Number.isSafeInteger(v))) bad(`is not a whole number, range or list`);
    if (nums.some((v) => v < 1)) bad("has a K below 1");
    const [a, b] = nums.length === 2 ? nums : [nums[0], nums[0]];
    if (b < a) bad(`has a decreasing range ${a}-${b}`);
    if (b - a + 1 + out.size > MAX_K_COUNT) bad(`lists more than ${MAX_K_COUNT} values`);
    for (let k = a; k <= b; k++) out.add(k);
  }
  return [...out].sort((x, y) => x - y);
}

/** parseKList with the flag spelled with its dashes ("--k"), as other commands call it. */
export function parseKRange(raw: unknown, flag = "--k"): number[] {
  return parseKList(raw, flag.replace(/^--/, ""));
}
