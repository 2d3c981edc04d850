import type { HistogramSnapshot } from '../../core/latency-histogram.js';

/** One sample line: labels and value (and, for histograms, its series name). */
export interface MetricValue {
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName?: string;
}

/** The kinds of Prometheus metric the collectors expose. */
export type MetricType = 'counter' | 'gauge' | 'histogram';

/**
 * A metric whose values are read when the registry is scraped, from the
 * counters the bus keeps anyway: nothing is counted twice and nothing runs
 * on the delivery path. Shaped like a prom-client metric (`name`, `help`,
 * `type`, `get()`, `reset()`), so any prom-client `Registry` renders it,
 * in the Prometheus or the OpenMetrics format.
 */
export class PulledMetric {
  readonly aggregator = 'sum';

  constructor(
    // Not readonly: a registry in OpenMetrics mode renames counters.
    public name: string,
    readonly help: string,
    readonly type: MetricType,
    private readonly read: () => Promise<readonly MetricValue[]>,
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: MetricType;
    aggregator: string;
    values: MetricValue[];
  }> {
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values: [...(await this.read())],
    };
  }

  /** Nothing to reset: the values are the bus's own counters. */
  reset(): void {}
}

/**
 * A {@link HistogramSnapshot} (ms) as Prometheus histogram lines in
 * seconds: cumulative `_bucket{le}`, `_sum`, `_count`.
 */
export function histogramValues(
  name: string,
  histogram: HistogramSnapshot,
  labels: Readonly<Record<string, string>> = {},
): MetricValue[] {
  const values: MetricValue[] = [];
  let cumulative = 0;
  histogram.bounds.forEach((boundMs, i) => {
    cumulative += histogram.counts[i];
    values.push({
      metricName: `${name}_bucket`,
      labels: { ...labels, le: String(seconds(boundMs)) },
      value: cumulative,
    });
  });
  values.push(
    {
      metricName: `${name}_bucket`,
      labels: { ...labels, le: '+Inf' },
      value: histogram.count,
    },
    {
      metricName: `${name}_sum`,
      labels,
      value: seconds(histogram.sumMs),
    },
    { metricName: `${name}_count`, labels, value: histogram.count },
  );
  return values;
}

function seconds(ms: number): number {
  return Number((ms / 1000).toPrecision(12));
}
