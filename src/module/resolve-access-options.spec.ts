import { resolveEventBusOptions } from './resolve-options.js';
import { resolveFeatureOptions } from './resolve-feature-options.js';
import {
  ACCESS_DEFAULTS,
  resolveLimits,
  resolveOrigins,
} from './resolve-access-options.js';

describe('resolveLimits', () => {
  it('applies the defaults, and false turns every limit off', () => {
    expect(resolveLimits(undefined)).toMatchObject({
      maxConnections: 10_000,
      maxConnectionsPerPrincipal: 100,
      connectionsPerSecond: 20,
      subscribesPerSecond: 5,
      maxTrackedKeys: 10_000,
    });
    expect(resolveLimits(false)).toMatchObject({
      maxConnections: Infinity,
      connectionsPerSecond: Infinity,
      subscribesPerSecond: Infinity,
    });
  });

  it('names a bad option', () => {
    expect(() => resolveLimits({ connectionsPerSecond: 0 })).toThrow(
      'limits.connectionsPerSecond must be a positive number (Infinity for no limit), got number',
    );
    expect(() => resolveLimits({ principal: 'ip' as never })).toThrow(
      'limits.principal must be a function',
    );
  });
});

describe('resolveOrigins', () => {
  it('defaults to the same host and non-browser clients', () => {
    expect(resolveOrigins(undefined)).toEqual({
      allow: [],
      sameOrigin: true,
      allowMissing: true,
      credentials: false,
      maxAgeSeconds: ACCESS_DEFAULTS.corsMaxAgeSeconds,
    });
    expect(resolveOrigins('*').allow).toBe('*');
  });

  it('refuses an entry that is not an origin', () => {
    expect(() => resolveOrigins(['https://a.example/'])).toThrow(
      /origins: each entry must be an origin such as 'https:\/\/a\.example'/,
    );
    expect(() => resolveOrigins(['a.example'])).toThrow(/got "a.example"/);
  });
});

describe('the publish policies', () => {
  const resolve = (
    options: Parameters<typeof resolveEventBusOptions>[0],
    ingest: Parameters<typeof resolveFeatureOptions>[0]['ingest'] = true,
  ) => resolveEventBusOptions(options, resolveFeatureOptions({ ingest }));

  it("gives ingest '*' with 100 types, minus the worker's and the monitor's", () => {
    const options = resolve({ worker: { activity: true } });
    expect(options.ingest).toMatchObject({
      path: 'api/events',
      types: '*',
      reserved: ['status', 'initial_app', 'transition', 'monitor'],
      maxTypes: 100,
      requestsPerSecond: 50,
      eventsPerSecond: 500,
    });
    expect(options.worker?.policy).toMatchObject({
      types: ['status', 'initial_app', 'transition'],
      maxTypes: Infinity,
      eventsPerSecond: Infinity,
    });
  });

  it('keeps the default type caps to a quarter of snapshotMaxTypes', () => {
    expect(resolve({ snapshotMaxTypes: 40 }).ingest?.maxTypes).toBe(10);
  });

  it('refuses caps that together could fill the snapshot', () => {
    expect(() =>
      resolve(
        { snapshotMaxTypes: 100, worker: { script: '/w.js', maxTypes: 60 } },
        { maxTypes: 40 },
      ),
    ).toThrow(/must stay below snapshotMaxTypes \(100\)/);
  });

  it('names a bad rule', () => {
    expect(() => resolve({}, { types: ['ok', 'not ok'] })).toThrow(
      `ingest.types: "not ok" is neither a type name, a 'prefix*' nor a RegExp`,
    );
    expect(() => resolve({}, { types: [] })).toThrow(/non-empty list/);
  });
});
