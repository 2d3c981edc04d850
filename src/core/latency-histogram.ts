/**
 * A fixed-bucket histogram of durations in ms, cheap enough for a hot path
 * (one comparison per bucket, no allocation): what delivery and transport
 * latencies are counted in, and what the metrics expose as Prometheus
 * histograms at scrape time.
 */
export class LatencyHistogram {
  /** Upper bounds in ms, ascending; a last implicit bucket is `+Inf`. */
  readonly bounds: readonly number[];
  private readonly counts: Float64Array;
  private total = 0;
  private sumMs = 0;

  constructor(bounds: readonly number[]) {
    if (
      bounds.length === 0 ||
      bounds.some((b, i) => !(b > 0) || (i > 0 && b <= bounds[i - 1]))
    ) {
      throw new TypeError(
        'histogram buckets must be positive and ascending, at least one',
      );
    }
    this.bounds = [...bounds];
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(ms: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && ms > bounds[i]) i++;
    this.counts[i]++;
    this.total++;
    this.sumMs += ms;
  }

  /** Counts so far: per bucket (not cumulative, the last one is `+Inf`), total and sum. */
  snapshot(): HistogramSnapshot {
    return {
      bounds: this.bounds,
      counts: Array.from(this.counts),
      count: this.total,
      sumMs: this.sumMs,
    };
  }
}

/** What a {@link LatencyHistogram} has counted. */
export interface HistogramSnapshot {
  /** Upper bounds in ms. */
  readonly bounds: readonly number[];
  /** Per bucket, one more than `bounds` (the last is `+Inf`); not cumulative. */
  readonly counts: readonly number[];
  readonly count: number;
  readonly sumMs: number;
}

/**
 * The `q` quantile (0..1) of a histogram, interpolated inside its bucket,
 * or `null` when empty; past the last bound it is that bound.
 */
export function histogramQuantile(
  histogram: HistogramSnapshot,
  q: number,
): number | null {
  if (histogram.count === 0) return null;
  const rank = q * histogram.count;
  let seen = 0;
  for (let i = 0; i < histogram.counts.length; i++) {
    const inBucket = histogram.counts[i];
    if (seen + inBucket >= rank && inBucket > 0) {
      if (i >= histogram.bounds.length) return histogram.bounds.at(-1)!;
      const low = i === 0 ? 0 : histogram.bounds[i - 1];
      const high = histogram.bounds[i];
      return low + ((high - low) * (rank - seen)) / inBucket;
    }
    seen += inBucket;
  }
  return histogram.bounds.at(-1)!;
}
