// K lists as text, the inverse of the CLI's parseKList: how commands and reports spell them.

/** "1-10" for a run of consecutive integers, else "1,3,5". */
export function kListText(ks: readonly number[]): string {
  const consecutive = ks.every((k, i) => i === 0 || k === ks[i - 1] + 1);
  return consecutive && ks.length > 1 ? `${ks[0]}-${ks[ks.length - 1]}` : ks.join(",");
}

/** The integers a..b. */
export function kRange(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}
