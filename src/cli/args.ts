// Flag parsing shared by the commands: numbers with ranges, K lists ("5", "1-10", "1,3,5"),
// label files. Every error is a one-line UserError naming the flag (or the file and line).
import { existsSync, readFileSync, statSync } from "node:fs";
import { describeFsError } from "../data/csv.js";
import { fileError, UserError } from "../util/errors.js";

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

/** Read a hard-assignment label file: one integer per data row, whitespace/newline separated. */
export function readLabelFile(path: string, nRows: number, nLabels: number, flag = "init-labels"): Int32Array {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw fileError(path, null, `cannot read --${flag}: ${describeFsError(e)}`);
  }
  return parseLabels(text, path, nRows, nLabels);
}

/** Parse label text: integers in 0..nLabels−1, exactly nRows of them; errors name file:line. */
export function parseLabels(text: string, file: string, nRows: number, nLabels: number): Int32Array {
  const out = new Int32Array(nRows);
  let count = 0;
  let line = 1;
  let lastLine = 1; // line of the last label read: where a short file ends
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      i++;
      continue;
    }
    if (c === 32 || c === 9 || c === 13 || c === 44) {
      i++;
      continue;
    }
    let j = i;
    while (j < n) {
      const d = text.charCodeAt(j);
      if (d === 10 || d === 32 || d === 9 || d === 13 || d === 44) break;
      j++;
    }
    const tok = text.slice(i, j);
    const v = /^[+-]?\d+$/.test(tok) ? Number(tok) : NaN;
    if (!Number.isInteger(v)) throw fileError(file, line, `label '${tok}' is not an integer`);
    if (v < 0 || v >= nLabels) throw fileError(file, line, `label ${v} is out of range 0..${nLabels - 1}`);
    if (count >= nRows) throw fileError(file, line, `more labels than the ${nRows} data rows`);
    out[count++] = v;
    lastLine = line;
    i = j;
  }
  if (count !== nRows) throw fileError(file, lastLine, `has ${count} labels, expected one per data row (${nRows})`);
  return out;
}
