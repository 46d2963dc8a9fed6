// An output-directory lock so two training runs never interleave checkpoints in the same --out.
// The lock is a file `.lock` holding the owner's pid, created with O_EXCL; a lock whose pid is no
// longer alive (a killed run) is taken over.

import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { UserError } from "../util/errors.js";

/** A held lock; `release()` removes it (idempotent). */
export interface DirLock {
  path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Takes `dir/.lock` (creating dir); throws a UserError naming `flag` when a live process holds it. */
export function lockDir(dir: string, flag = "--out"): DirLock {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, ".lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        process.removeListener("exit", release);
        rmSync(path, { force: true });
      };
      process.on("exit", release);
      return { path, release };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new UserError(`${flag} ${dir}: cannot create a lock file (${(e as Error).message})`);
      let pid = NaN;
      try {
        pid = Number(readFileSync(path, "utf8").trim());
      } catch {
        // vanished between open and read: try again
      }
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw new UserError(`${flag} ${dir}: another emlab run (pid ${pid}) is writing there`);
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new UserError(`${flag} ${dir}: cannot take the lock ${path}`);
}
