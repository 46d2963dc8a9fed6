// Class coverage of generated digits: the distribution of the labels a classifier gives them,
// its entropy (ln 10 ≈ 2.303 nats when every digit is equally common, 0 when all are one digit)
// and the share of the most common digit. Node-free.

/** Label distribution of a set of samples. */
export interface Coverage {
  /** counts[c]: samples labelled c. */
  counts: number[];
  /** shares[c] = counts[c] / n. */
  shares: number[];
  /** −Σ p ln p over the classes (nats); 0·ln 0 = 0. */
  entropy: number;
  /** ln(nClasses): the entropy of a uniform distribution. */
  maxEntropy: number;
  /** The most common class and its share. */
  mode: number;
  modeShare: number;
  /** The least common class and its share. */
  rarest: number;
  rarestShare: number;
}

/** Coverage of integer labels in [0, nClasses). */
export function classCoverage(labels: ArrayLike<number>, nClasses = 10): Coverage {
  const n = labels.length;
  if (n === 0) throw new RangeError("classCoverage: no labels");
  const counts = new Array<number>(nClasses).fill(0);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    if (!Number.isInteger(c) || c < 0 || c >= nClasses) throw new RangeError(`classCoverage: label ${c} at ${i} is not in [0, ${nClasses})`);
    counts[c]++;
  }
  const shares = counts.map((c) => c / n);
  let entropy = 0;
  for (const p of shares) if (p > 0) entropy -= p * Math.log(p);
  let mode = 0, rarest = 0;
  for (let c = 1; c < nClasses; c++) {
    if (counts[c] > counts[mode]) mode = c;
    if (counts[c] < counts[rarest]) rarest = c;
  }
  return { counts, shares, entropy, maxEntropy: Math.log(nClasses), mode, modeShare: shares[mode], rarest, rarestShare: shares[rarest] };
}
