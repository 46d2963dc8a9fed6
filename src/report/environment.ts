// The machine and software a report was computed with: Node, the numeric dependencies' versions,
// emlab's version and git commit, CPU model and cores. Everything is read, nothing is guessed:
// a value that cannot be found is reported as "unknown".
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, totalmem, type as osType, release } from "node:os";
import { join } from "node:path";
import { packageRoot } from "../data/datasets.js";

/** Versions and machine of the run (strings as shown in the report). */
export interface Environment {
  emlab: string;
  node: string;
  onnxruntimeNode: string;
  assemblyscript: string;
  marked: string;
  /** The commit of the checkout, "+ uncommitted changes" when the tree is dirty; "unknown" outside git. */
  git: string;
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  os: string;
}

/** `version` of an installed package's package.json, or "unknown". */
function packageVersion(name: string): string {
  try {
    const req = createRequire(join(packageRoot(), "package.json"));
    return JSON.parse(readFileSync(req.resolve(`${name}/package.json`), "utf8")).version ?? "unknown";
  } catch {
    return "unknown";
  }
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync("git", args, { cwd: packageRoot(), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 10000 }).trim();
  } catch {
    return undefined;
  }
}

/** Collect the environment of this process. */
export function environment(): Environment {
  const root = packageRoot();
  let emlab = "unknown";
  try {
    emlab = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
  } catch {
    // stays unknown
  }
  const head = git(["rev-parse", "HEAD"]);
  const dirty = head !== undefined && (git(["status", "--porcelain", "--untracked-files=no"]) ?? "") !== "";
  const cpu = cpus();
  return {
    emlab,
    node: process.version,
    onnxruntimeNode: packageVersion("onnxruntime-node"),
    assemblyscript: packageVersion("assemblyscript"),
    marked: packageVersion("marked"),
    git: head === undefined ? "unknown (not a git checkout)" : `${head}${dirty ? " + uncommitted changes" : ""}`,
    cpuModel: cpu[0]?.model?.trim() || "unknown",
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${osType()} ${release()} (${process.platform}/${process.arch})`,
  };
}
