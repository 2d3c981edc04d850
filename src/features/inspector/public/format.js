// Small formatting helpers of the inspector page.

const pad = (n, width = 2) => String(n).padStart(width, '0');

/** `HH:MM:SS.mmm` of a time in ms. */
export function clock(ms) {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** How long ago, short: `now`, `4s`, `3m`, `2h`. */
export function ago(ms, now) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 1) return 'now';
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}

/** An integer with thousands separators. */
export const int = (n) =>
  Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';

/** Bytes as B / kB / MB. */
export function bytes(n) {
  if (!Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** A duration in ms, two significant digits. */
export function ms(n) {
  if (n === null || !Number.isFinite(n)) return '–';
  return n < 10 ? `${n.toFixed(1)} ms` : `${Math.round(n)} ms`;
}

/** One line of JSON, cut to `max` characters. */
export function oneLine(value, max = 300) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * The `q` quantile of a histogram as the stats endpoint sends it (ms bounds,
 * per-bucket counts, the last one +Inf), interpolated in its bucket.
 */
export function quantile(histogram, q) {
  if (!histogram || histogram.count === 0) return null;
  const rank = q * histogram.count;
  let seen = 0;
  for (let i = 0; i < histogram.counts.length; i++) {
    const inBucket = histogram.counts[i];
    if (inBucket > 0 && seen + inBucket >= rank) {
      if (i >= histogram.bounds.length) return histogram.bounds.at(-1);
      const low = i === 0 ? 0 : histogram.bounds[i - 1];
      return low + ((histogram.bounds[i] - low) * (rank - seen)) / inBucket;
    }
    seen += inBucket;
  }
  return histogram.bounds.at(-1);
}

/** Two histograms' difference (what happened between two samples). */
export function histogramDelta(now, before) {
  if (!now) return null;
  if (!before || before.count > now.count) return now;
  return {
    bounds: now.bounds,
    counts: now.counts.map((c, i) => c - (before.counts[i] ?? 0)),
    count: now.count - before.count,
    sumMs: now.sumMs - before.sumMs,
  };
}
