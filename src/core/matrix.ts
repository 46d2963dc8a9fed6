/** A dense row-major matrix: `data[i * cols + j]` is row i, column j. Rows are samples. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  cols: number;
}

/** Wrap (not copy) a row-major Float32Array as a rows×cols Matrix; checks the length. */
export function matrix(data: Float32Array, rows: number, cols: number): Matrix {
  if (data.length !== rows * cols) {
    throw new RangeError(`matrix: data has ${data.length} values, expected ${rows}×${cols}`);
  }
  return { data, rows, cols };
}

/** Rows `idx` of `m`, copied into a new Matrix (in the order given). */
export function takeRows(m: Matrix, idx: ArrayLike<number>): Matrix {
  const out = new Float32Array(idx.length * m.cols);
  for (let r = 0; r < idx.length; r++) {
    const i = idx[r];
    if (!(Number.isInteger(i) && i >= 0 && i < m.rows)) {
      throw new RangeError(`takeRows: index ${i} at position ${r} is outside 0…${m.rows - 1}`);
    }
    out.set(m.data.subarray(i * m.cols, (i + 1) * m.cols), r * m.cols);
  }
  return { data: out, rows: idx.length, cols: m.cols };
}
