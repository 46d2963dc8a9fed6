// Per-epoch training records and their loss plots. A record is flat JSON (epoch, seconds and named
// metrics), so it goes into checkpoints and --json output as is.

import { lineChart, type Series } from "../plot/svg.js";
import { writeFileAtomic } from "../util/atomic.js";

/** One epoch's numbers: `epoch` (1-based), wall `seconds`, and any named metrics (e.g. trainLoss). */
export interface EpochRecord {
  epoch: number;
  seconds: number;
  [metric: string]: number;
}

/** One plotted series: the record field `key`, shown as `name`. */
export interface MetricSeries {
  key: string;
  name: string;
}

/** Options of `lossChart`. */
export interface LossChartOptions {
  title: string;
  yLabel?: string;
  width?: number;
  height?: number;
}

/** Points (epoch, record[key]) of the records that have a finite value for `key`. */
export function metricPoints(history: readonly EpochRecord[], key: string): [number, number][] {
  return history.filter((r) => Number.isFinite(r[key])).map((r) => [r.epoch, r[key]]);
}

/** SVG line chart of metrics against the epoch (x ticks at whole epochs). */
export function lossChart(history: readonly EpochRecord[], series: MetricSeries[], opts: LossChartOptions): string {
  const lines: Series[] = series.map((s) => ({ name: s.name, points: metricPoints(history, s.key) }));
  return lineChart({
    title: opts.title,
    xLabel: "epoch",
    yLabel: opts.yLabel ?? "loss",
    series: lines,
    xTicks: "integer",
    width: opts.width,
    height: opts.height,
  });
}

/** Writes `lossChart(...)` to `path` atomically; returns `path`. */
export function writeLossChart(path: string, history: readonly EpochRecord[], series: MetricSeries[], opts: LossChartOptions): string {
  writeFileAtomic(path, lossChart(history, series, opts));
  return path;
}

/** Records with epoch ≤ `epoch` (the history a resumed run starts from). */
export function historyUpTo(history: readonly EpochRecord[], epoch: number): EpochRecord[] {
  return history.filter((r) => r.epoch <= epoch).map((r) => ({ ...r }));
}

/**
 * Epochs after which image grids are written: every 10th, plus the last one when it is not a
 * multiple of 10 (e.g. 25 epochs → 10, 20, 25).
 */
export function snapshotEpochs(epochs: number, every = 10): number[] {
  const out: number[] = [];
  for (let e = every; e <= epochs; e += every) out.push(e);
  if (epochs % every !== 0) out.push(epochs);
  return out;
}
