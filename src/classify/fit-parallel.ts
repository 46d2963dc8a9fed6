// Fit the per-class mixtures of a GmmBayesClassifier on worker threads (one task per class).
// Each class's seed depends only on the classifier's seed and the label, and results are
// assembled in class order, so the classifier is identical whatever the thread count. Node only.
import type { Matrix } from "../core/matrix.js";
import { GaussianMixture } from "../mixture/gaussian-mixture.js";
import { WorkerPool, runInWorkers, type Task } from "../parallel/pool.js";
import {
  GmmBayesClassifier,
  checkClassSizes,
  splitByClass,
  type ClassFitOptions,
  type GmmBayesOptions,
} from "./bayes.js";

/** One class's rows (row-major rows×cols, moved to the worker) and the options to fit them with. */
export interface ClassFitTask {
  data: Float32Array;
  rows: number;
  cols: number;
  label: number;
  options: ClassFitOptions;
}

/** The worker script (compiled next to this file). */
export const CLASS_FIT_WORKER = new URL("./worker.js", import.meta.url);

export interface ParallelFitOptions {
  /** Worker threads (default: the cores available; never more than the number of classes). */
  threads?: number;
  /** An open pool of CLASS_FIT_WORKER workers to reuse across fits (then `threads` is ignored). */
  pool?: WorkerPool<ClassFitTask, object>;
  /** Called after each class is fitted. */
  onClassDone?: (done: number, total: number) => void;
}

/** Fit `new GmmBayesClassifier(options).fit(X, y)` with one worker task per class; same result as the serial fit. */
export async function fitBayesParallel(
  X: Matrix,
  y: ArrayLike<number>,
  options: GmmBayesOptions,
  parallel: ParallelFitOptions = {},
): Promise<GmmBayesClassifier> {
  const split = splitByClass(X, y);
  checkClassSizes(split, options.nComponents);
  const { core: _core, onIteration: _cb, ...fitOptions } = options as GmmBayesOptions & { onIteration?: unknown };
  const tasks: Task<ClassFitTask>[] = split.rows.map((m, j) => ({
    input: { data: m.data, rows: m.rows, cols: m.cols, label: split.classes[j], options: fitOptions },
    transfer: [m.data.buffer as ArrayBuffer],
  }));
  const jsons = parallel.pool
    ? await parallel.pool.run(tasks, parallel.onClassDone)
    : await runInWorkers<ClassFitTask, object>(CLASS_FIT_WORKER, tasks, {
        threads: parallel.threads,
        onDone: parallel.onClassDone,
      });
  const models = jsons.map((j) => GaussianMixture.fromJSON(j));
  return new GmmBayesClassifier(options).setModels(split.classes, split.counts, models);
}

/** A pool of class-fitting workers, for fitting many classifiers (e.g. a sweep over K). Close it when done. */
export function classFitPool(threads: number): WorkerPool<ClassFitTask, object> {
  return new WorkerPool<ClassFitTask, object>(CLASS_FIT_WORKER, threads);
}
