// Sharpness of images with intensities in [0,1]: the mean per-pixel binary entropy (bits; 0 for a
// pure black/white pixel, 1 for 0.5) and the share of near-binary pixels (< 0.1 or > 0.9).
// Blurry samples (a VAE's mean image) have more grey pixels than MNIST. Node-free.

export interface Sharpness {
  /** Mean over all pixels of H(p) = −p log₂ p − (1−p) log₂(1−p), bits in [0, 1]. */
  meanEntropyBits: number;
  /** Share of pixels with p < 0.1 or p > 0.9. */
  nearBinary: number;
}

/** Sharpness of all values of `images` (any layout; each value is one pixel in [0,1], clamped). */
export function sharpness(images: ArrayLike<number>): Sharpness {
  const n = images.length;
  if (n === 0) throw new RangeError("sharpness: no pixels");
  let h = 0;
  let binary = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1, Math.max(0, images[i]));
    if (p < 0.1 || p > 0.9) binary++;
    // 0·log 0 = 0: the endpoints contribute nothing
    if (p > 0 && p < 1) h -= p * Math.log2(p) + (1 - p) * Math.log2(1 - p);
  }
  return { meanEntropyBits: h / n, nearBinary: binary / n };
}
