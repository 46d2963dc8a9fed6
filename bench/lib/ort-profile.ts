// Kernel time per op type from onnxruntime's own profiler, for the benches' "where the time goes"
// lines. The profiler adds time of its own to every run (≈ 45 % on the GAN's step), so the shares
// are what counts, not the absolute times.

import { readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";

/** Kernel microseconds per op type over `runs` session runs, and the runs' own total. */
export interface OpProfile {
  runs: number;
  /** Sum of every node's kernel time, µs. */
  kernelUs: number;
  /** Sum of the runs' wall time as the profiler saw it, µs. */
  runUs: number;
  byOp: Map<string, number>;
}

/**
 * Opens a profiling session on `model` (2 intra-op threads unless given, no spinning: as the
 * product runs), calls `run(session)` `runs` times and reads the profile file back (then deletes it).
 */
export async function profileOps(model: Uint8Array, run: (s: ort.InferenceSession) => Promise<unknown>, opts: { runs: number; threads?: number }): Promise<OpProfile> {
  const prefix = join(tmpdir(), `emlab-prof-${process.pid}-${Date.now()}`);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: opts.threads ?? 2, interOpNumThreads: 1, executionMode: "sequential", graphOptimizationLevel: "all",
    enableProfiling: true, profileFilePrefix: prefix, extra: { session: { intra_op: { allow_spinning: "0" } } },
  });
  for (let i = 0; i < opts.runs; i++) await run(session);
  session.endProfiling();
  const dir = tmpdir();
  const file = readdirSync(dir).map((f) => join(dir, f)).find((f) => f.startsWith(prefix) && f.endsWith(".json"));
  if (!file) throw new Error("onnxruntime wrote no profile");
  const events = JSON.parse(readFileSync(file, "utf8")) as { cat: string; name: string; dur: number; args?: { op_name?: string } }[];
  rmSync(file, { force: true });
  const byOp = new Map<string, number>();
  let runUs = 0, runs = 0;
  for (const e of events) {
    if (e.cat === "Session" && e.name === "model_run") (runUs += e.dur), runs++;
    if (e.cat === "Node" && e.name.endsWith("_kernel_time") && e.args?.op_name) byOp.set(e.args.op_name, (byOp.get(e.args.op_name) ?? 0) + e.dur);
  }
  return { runs: Math.max(1, runs), kernelUs: [...byOp.values()].reduce((s, v) => s + v, 0), runUs, byOp };
}

/** Kernel µs of the given op types. */
export function opTime(p: OpProfile, ops: readonly string[]): number {
  return ops.reduce((s, o) => s + (p.byOp.get(o) ?? 0), 0);
}

/** The Gemm-like and Adam-like (elementwise arithmetic) op types, as the benches group them. */
export const GEMM_OPS = ["Gemm", "FusedGemm", "MatMul"] as const;
export const ELEMENTWISE_OPS = ["Add", "Sub", "Mul", "Div", "Sqrt"] as const;

/** `a` as a percentage of `b`: "38 %". */
export const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(0)} %`;

/** The `n` op types with the most kernel time: "Gemm 30 %, Mul 18 %, …". */
export function topOps(p: OpProfile, n = 8): string {
  return [...p.byOp].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, v]) => `${k} ${pct(v, p.kernelUs)}`).join(", ");
}
