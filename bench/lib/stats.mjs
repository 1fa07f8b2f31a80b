// Small statistics for the benchmark: percentiles of one sample, medians and spreads across rounds.

/** The q-quantile (0..1) of a numeric array, by nearest rank on a sorted copy. */
export function quantile(values, q) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

export function median(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return NaN;
  const sorted = [...finite].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Relative spread of the rounds: (max - min) / median, a plain measure of how noisy a figure was. */
export function spread(values) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2) return 0;
  const m = median(finite);
  return m === 0 ? 0 : (Math.max(...finite) - Math.min(...finite)) / Math.abs(m);
}
