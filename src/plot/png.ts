// Grids of grayscale images (MNIST digits, VAE/GAN samples, component means) as PNG bytes.
import { PNG } from "pngjs";
import { drawText, GLYPH_H, textWidth } from "./font.js";

export interface ImageGridOptions {
  /** Image height and width in pixels. */
  h: number;
  w: number;
  /** Images per row of the grid. */
  cols: number;
  /** Values mapped to black..white; outside values are clamped. */
  range: [number, number];
  /** One label per image, drawn under its tile in the built-in 5×7 font. */
  labels?: string[];
  /** Each image pixel becomes a scale×scale block (default 2). */
  scale?: number;
  /** Pixels of background between and around tiles (default 2). */
  pad?: number;
}

const BACKGROUND = 255;
const TEXT: [number, number, number] = [0, 0, 0];

/** PNG bytes of `n` images (images: n×(h·w) row-major) laid out `cols` per row, grayscale as RGB. */
export function imageGrid(images: Float32Array | Float64Array, n: number, opts: ImageGridOptions): Uint8Array {
  const { h, w, cols, range, labels } = opts;
  const scale = opts.scale ?? 2;
  const pad = opts.pad ?? 2;
  if (images.length < n * h * w) throw new RangeError(`imageGrid: ${images.length} values, need ${n}×${h}×${w}`);
  if (!(cols >= 1) || !(scale >= 1) || !(pad >= 0) || !(range[1] > range[0])) throw new RangeError("imageGrid: bad layout options");
  const rows = Math.max(1, Math.ceil(n / cols));
  const gridCols = Math.min(cols, Math.max(1, n));
  const fontScale = Math.max(1, Math.floor(scale / 2));
  const labelH = labels ? GLYPH_H * fontScale + 4 : 0;
  const tileW = w * scale;
  const tileH = h * scale;
  const width = pad + gridCols * (tileW + pad);
  const height = pad + rows * (tileH + labelH + pad);
  const png = new PNG({ width, height, colorType: 2 });
  const buf = png.data as unknown as Uint8Array;
  buf.fill(BACKGROUND);
  const [lo, hi] = range;
  const k = 255 / (hi - lo);
  for (let i = 0; i < n; i++) {
    const x0 = pad + (i % cols) * (tileW + pad);
    const y0 = pad + Math.floor(i / cols) * (tileH + labelH + pad);
    const base = i * h * w;
    for (let r = 0; r < h; r++) {
      for (let c = 0; c < w; c++) {
        const v = Math.round((images[base + r * w + c] - lo) * k);
        const g = v < 0 ? 0 : v > 255 ? 255 : v;
        for (let dy = 0; dy < scale; dy++) {
          let o = ((y0 + r * scale + dy) * width + x0 + c * scale) * 4;
          for (let dx = 0; dx < scale; dx++, o += 4) {
            buf[o] = g;
            buf[o + 1] = g;
            buf[o + 2] = g;
          }
        }
      }
    }
    if (labels && labels[i] !== undefined) {
      const tw = textWidth(labels[i], fontScale);
      drawText(buf, width, height, x0 + Math.floor((tileW - tw) / 2), y0 + tileH + 2, labels[i], TEXT, fontScale);
    }
  }
  return new Uint8Array(PNG.sync.write(png, { colorType: 2 }));
}
