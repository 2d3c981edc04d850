import { histogramQuantile, LatencyHistogram } from './latency-histogram.js';

describe('LatencyHistogram', () => {
  it('counts each value in the first bucket whose bound it does not pass, the rest in +Inf', () => {
    const histogram = new LatencyHistogram([1, 10, 100]);
    for (const ms of [0, 1, 1.5, 10, 50, 100, 101, 5000]) histogram.observe(ms);
    expect(histogram.snapshot()).toEqual({
      bounds: [1, 10, 100],
      counts: [2, 2, 2, 2],
      count: 8,
      sumMs: 5263.5,
    });
  });

  it('interpolates quantiles inside a bucket, and has none when empty', () => {
    const histogram = new LatencyHistogram([10, 20]);
    expect(histogramQuantile(histogram.snapshot(), 0.5)).toBeNull();
    for (let i = 0; i < 10; i++) histogram.observe(15);
    expect(histogramQuantile(histogram.snapshot(), 0.5)).toBe(15);
    histogram.observe(1000);
    expect(histogramQuantile(histogram.snapshot(), 1)).toBe(20);
  });

  it('refuses buckets that are not positive and ascending', () => {
    expect(() => new LatencyHistogram([])).toThrow(TypeError);
    expect(() => new LatencyHistogram([5, 5])).toThrow(/ascending/);
    expect(() => new LatencyHistogram([0, 1])).toThrow(/positive/);
  });
});
