import { Registry } from 'prom-client';
import { resolveFeatureOptions } from './resolve-feature-options.js';

describe('resolveFeatureOptions', () => {
  it('leaves both off by default (and the ingest endpoint)', () => {
    expect(resolveFeatureOptions({})).toEqual({
      metrics: null,
      inspector: null,
      ingest: null,
    });
  });

  it('applies the defaults and normalises routes', () => {
    const registry = new Registry();
    const { metrics, inspector } = resolveFeatureOptions({
      metrics: { registry, eventTypes: ['a', 'a', 'b'] },
      inspector: { path: '/ops/inspector/' },
    });
    expect(metrics).toMatchObject({
      path: 'metrics',
      registry,
      eventTypes: ['a', 'b'],
    });
    expect(metrics?.latencyBoundsMs[0]).toBe(1);
    expect(inspector).toEqual({ path: 'ops/inspector', logSize: 2000 });
    expect(
      resolveFeatureOptions({ inspector: { path: '/' } }).inspector?.path,
    ).toBe('');
    expect(
      resolveFeatureOptions({ metrics: { path: false } }).metrics?.path,
    ).toBeNull();
  });

  it.each([
    [{ metrics: 'yes' }, /metrics must be true, false, or/],
    [{ metrics: { path: '/' } }, /metrics.path must not be the root/],
    [{ metrics: { path: '../x' } }, /metrics.path must be a route/],
    [
      { metrics: { registry: {} } },
      /metrics.registry must be a prom-client Registry/,
    ],
    [{ metrics: { eventTypes: ['other'] } }, /metrics.eventTypes/],
    [
      {
        metrics: { eventTypes: Array.from({ length: 201 }, (_, i) => `t${i}`) },
      },
      /at most 200/,
    ],
    [{ metrics: { latencyBuckets: [1, 0.5] } }, /ascending positive/],
    [{ inspector: { path: 'a b' } }, /inspector.path must be a route/],
    [
      { inspector: { path: 'x', logSize: 0 } },
      /inspector.logSize must be a positive integer/,
    ],
  ])('refuses %j, naming the option', (extras, message) => {
    expect(() => resolveFeatureOptions(extras as never)).toThrow(message);
  });
});
