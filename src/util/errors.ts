// Errors a user can fix: the CLI prints their message on one line and exits with code 2.

/** Bad input (a flag, a file, a value): message names the flag or the file and line. */
export class UserError extends Error {
  override name = "UserError";
  readonly exitCode = 2;
}

/** `file:line: message` — the form every data-file error takes. */
export function fileError(file: string, line: number | null, message: string): UserError {
  return new UserError(line === null ? `${file}: ${message}` : `${file}:${line}: ${message}`);
}
