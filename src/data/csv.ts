// Node-only: read a CSV file (the parser itself, csv-parse.ts, runs in browsers too).
import { readFileSync } from "node:fs";
import { fileError } from "../util/errors.js";
import { parseCsv, type CsvMatrix, type CsvOptions } from "./csv-parse.js";

export { parseCsv };

/** Read and parse a numeric CSV file; an unreadable path is a UserError naming it. */
export function readCsv(path: string, options: CsvOptions = {}): CsvMatrix {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw fileError(path, null, `cannot read: ${describeFsError(e)}`);
  }
  return parseCsv(text, path, options);
}

/** "no such file or directory" from an ENOENT error, and so on; the message without the stack. */
export function describeFsError(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case "ENOENT":
      return "no such file or directory";
    case "EACCES":
      return "permission denied";
    case "EISDIR":
      return "is a directory";
    default:
      return (err?.message ?? String(e)).split("\n")[0];
  }
}
