// One emlab run per output directory: `OUT/.emlab.lock` is created exclusively (O_EXCL) and holds
// the owner's pid, command and start time. A lock whose pid is dead (a killed run) is stale and
// taken over. Taken by the CLI layer only, after the flags are checked and just before the first
// write, so bad input writes nothing and nested stage directories never lock twice. A run that
// fails with the directory still empty removes the directories the lock created: a refused run
// leaves nothing behind.
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UserError } from "./errors.js";

/** Name of the lock file inside the output directory. */
export const LOCK_FILE = ".emlab.lock";

/** A held lock; `release()` removes the file and any directory it created that is still empty (idempotent; also runs on process exit). */
export interface OutLock {
  path: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  command: string;
  started: string;
}

/** Lock files this process holds, so a nested acquire of the same directory is a no-op. */
const held = new Set<string>();

/** True when a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): LockInfo | null {
  try {
    const v = JSON.parse(readFileSync(path, "utf8")) as Partial<LockInfo>;
    if (!Number.isInteger(v.pid) || (v.pid as number) <= 0) return null;
    return { pid: v.pid as number, command: String(v.command ?? "?"), started: String(v.started ?? "?") };
  } catch {
    return null;
  }
}

/** A lock file that is empty or unparsable but this young may be mid-creation by another run. */
const YOUNG_MS = 5000;

/**
 * Take `outDir/.emlab.lock` (creating outDir) for `command`; a live owner → UserError naming it.
 * Also removes temp files (`.NAME.PID.N.tmp`) that a killed writer left in outDir.
 */
export function acquireOutLock(outDir: string, command: string): OutLock {
  const path = join(outDir, LOCK_FILE);
  if (held.has(path)) return { path, release() {} };
  const created = missingDirs(outDir);
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (e) {
    throw new UserError(`--out: cannot create '${outDir}' (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, "wx");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new UserError(`--out: cannot create the lock file ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      const info = readLock(path);
      if (info === null) {
        let age = Infinity;
        try {
          age = Date.now() - statSync(path).mtimeMs;
        } catch {
          continue; // vanished: try again
        }
        if (age < YOUNG_MS) throw new UserError(`${outDir} is in use by another emlab run (its lock ${path} is being written); wait for it or use another --out`);
        process.stderr.write(`emlab: taking over the unreadable lock ${path}\n`);
      } else if (info.pid !== process.pid && pidAlive(info.pid)) {
        throw new UserError(`${outDir} is in use by another emlab run (pid ${info.pid}, ${info.command}, started ${info.started}); wait for it or use another --out`);
      } else {
        process.stderr.write(`emlab: taking over the stale lock of pid ${info.pid} (${info.command}, started ${info.started}, no longer running) in ${outDir}\n`);
      }
      rmSync(path, { force: true });
      continue;
    }
    const info: LockInfo = { pid: process.pid, command, started: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info) + "\n");
    closeSync(fd);
    held.add(path);
    const release = () => {
      if (!held.delete(path)) return;
      process.removeListener("exit", release);
      // only our own lock: never remove one a later run took over
      if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
      for (const d of created) {
        try {
          rmdirSync(d); // fails, as it should, once the run wrote anything there
        } catch {
          break;
        }
      }
    };
    process.on("exit", release);
    removeStaleTemps(outDir);
    return { path, release };
  }
  throw new UserError(`${outDir}: cannot take the lock ${path} (another run keeps changing it); use another --out`);
}

/** The directories `mkdir -p dir` would create, deepest first. */
function missingDirs(dir: string): string[] {
  const out: string[] = [];
  for (let d = resolve(dir); !existsSync(d) && dirname(d) !== d; d = dirname(d)) out.push(d);
  return out;
}

/** writeFileAtomic's temp names: `.NAME.PID.N.tmp`. */
const TEMP = /^\..+\.(\d+)\.\d+\.tmp$/;

/**
 * Remove temp files of dead writers in `dir` and its subdirectories (depth ≤ 2). Only a kill
 * that the process cannot catch (SIGKILL, power loss) leaves them; readers ignore them anyway.
 */
export function removeStaleTemps(dir: string, depth = 2): string[] {
  const removed: string[] = [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return removed;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (depth > 0) removed.push(...removeStaleTemps(p, depth - 1));
      continue;
    }
    const m = TEMP.exec(e.name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || pidAlive(pid)) continue;
    rmSync(p, { force: true });
    removed.push(p);
  }
  return removed;
}
