import {
  checkRedisOptions,
  describeTarget,
  keyPrefixOf,
  type RedisTransportOptions,
} from './redis-options.js';

const options = (
  extra: Partial<RedisTransportOptions>,
): RedisTransportOptions =>
  ({ type: 'redis', ...extra }) as RedisTransportOptions;

describe('Redis transport options', () => {
  it('takes a url, sentinels with a name, or cluster nodes', () => {
    for (const ok of [
      { url: 'redis://127.0.0.1:6379' },
      { sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster' },
      { cluster: [{ host: 'n1', port: 7000 }], keyPrefix: '{app}:bus:' },
    ]) {
      expect(() => checkRedisOptions(options(ok))).not.toThrow();
    }
  });

  it('refuses what names no deployment, or two, naming the field and never a password', () => {
    const refused: [Partial<RedisTransportOptions>, RegExp][] = [
      [{}, /^transport\.url must be a Redis URL/],
      [
        {
          sentinels: [{ host: 's1', port: 26379 }],
          cluster: [{ host: 'n1', port: 7000 }],
        },
        /^transport\.sentinels and transport\.cluster exclude each other/,
      ],
      [{ sentinels: [] }, /^transport\.sentinels must be a non-empty array/],
      [
        { sentinels: [{ host: 's1', port: 26379 }] },
        /^transport\.name must be the primary's name in Sentinel/,
      ],
      [
        { sentinels: [{ host: 's1', port: 0 }], name: 'm' },
        /^transport\.sentinels\[0\] must be \{ host, port \}/,
      ],
      [
        { cluster: [{ host: 'n1', port: 7000 }], keyPrefix: 'livebus:' },
        /^transport\.keyPrefix must hold a hash tag in a cluster/,
      ],
      [
        { url: 'redis://u:hunter2@h:6379', streamMaxAgeMs: -5 },
        /^transport\.streamMaxAgeMs must be a positive integer/,
      ],
    ];
    for (const [extra, message] of refused) {
      expect(() => checkRedisOptions(options(extra))).toThrow(message);
      try {
        checkRedisOptions(options(extra));
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    }
  });

  it('puts every key under one hash tag by default in a cluster', () => {
    expect(keyPrefixOf(options({ url: 'redis://h' }))).toBe('livebus:');
    expect(keyPrefixOf(options({ cluster: [{ host: 'n', port: 1 }] }))).toBe(
      '{livebus}:',
    );
  });

  it('describes where it connects without credentials', () => {
    expect(describeTarget(options({ url: 'redis://u:hunter2@h:6379/1' }))).toBe(
      'redis://***@h:6379/1',
    );
    expect(
      describeTarget(
        options({ sentinels: [{ host: 's1', port: 26379 }], name: 'mymaster' }),
      ),
    ).toBe("primary 'mymaster' of the sentinels s1:26379");
  });
});
