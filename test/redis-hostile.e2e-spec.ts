import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { scrape } from './support/prometheus-text.js';
import { RedisServer } from './support/redis-server.js';
import { openBrowserSse } from './support/sse-parser.js';
import {
  once,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

// Issue 9: the type rule holds for what the Redis transport reads too. An
// entry of the stream or of the latest hash whose type is not a name (a
// script, another app, an attacker with access to Redis) is skipped and
// counted like any other foreign entry, never delivered or kept.

const BAD_TYPES = [
  '__proto__',
  'constructor',
  'a\nid: 999999\n\nevent: snapshot',
  'x'.repeat(150),
  'snapshot',
];

/** The transport's private parts a test looks at. */
function transportOf(app: TestApp): {
  lastError: string;
  skippedEntries: number;
} {
  return (
    app.bus as unknown as {
      transport: { lastError: string; skippedEntries: number };
    }
  ).transport;
}

describe('the Redis transport reading types that are not names', () => {
  let redis: RedisServer;
  let client: Redis;
  const apps: TestApp[] = [];
  const node = async (): Promise<TestApp> => {
    const app = await startApp({
      worker: false,
      transport: { type: 'redis', url: redis.url },
      metrics: { registry: new Registry() },
    });
    apps.push(app);
    return app;
  };

  beforeEach(async () => {
    redis = await RedisServer.start();
    client = new Redis(redis.url, { lazyConnect: true });
    await client.connect();
  });

  afterEach(async () => {
    client.disconnect();
    for (const app of apps.splice(0)) await app.close();
    await redis.kill();
  });

  it('skips and counts stream entries with such types; clients never see them', async () => {
    const a = await node();
    const socket = a.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const sse = await openBrowserSse(a.url + '/api/events/stream');
    try {
      await until(() => sse.messages.length === 1, 5000, 'the SSE snapshot');
      await a.bus.publish({ type: 'ok', n: 1 });
      let seq = 2;
      for (const type of BAD_TYPES) {
        await client.xadd(
          'livebus:stream',
          '*',
          's',
          seq++,
          't',
          type,
          'j',
          '{"type":"x"}',
          'e',
          a.bus.epoch,
        );
      }
      await a.bus.publish({ type: 'ok', n: 2 });
      await receive(received, 2, (m) => m.name === 'ok');
      await until(
        () => sse.messages.filter((m) => m.event === 'ok').length === 2,
        5000,
        'the SSE events',
      );
      expect(received.map((m) => m.name)).toEqual(['snapshot', 'ok', 'ok']);
      expect(sse.messages.map((m) => m.event)).toEqual([
        'snapshot',
        'ok',
        'ok',
      ]);
      expect(transportOf(a).skippedEntries).toBe(BAD_TYPES.length);
      // And a scrape counts them.
      const m = await scrape(a.url + '/metrics');
      expect(m.value('livebus_transport_skipped_entries_total')).toBe(
        BAD_TYPES.length,
      );
      expect(transportOf(a).lastError).toMatch(
        /is not an event this bus wrote/,
      );
      expect(a.bus.snapshot()).toEqual({ ok: { type: 'ok', n: 2 } });
    } finally {
      await sse.close();
    }
  });

  it('skips and counts latest-hash entries with such types when a node loads', async () => {
    const a = await node();
    await a.bus.publish({ type: 'ok', n: 1 });
    for (const type of BAD_TYPES) {
      await client.hset('livebus:latest', type, `1 {"type":"x"}`);
    }
    // And values that are not "<seq> <json>".
    await client.hset('livebus:latest', 'noseq', '{"type":"noseq"}');
    const b = await node();
    expect(b.bus.snapshot()).toEqual({ ok: { type: 'ok', n: 1 } });
    const response = await fetch(b.url + '/api/ws/snapshot');
    expect(await response.json()).toEqual({ ok: { type: 'ok', n: 1 } });
    expect(transportOf(b).skippedEntries).toBe(BAD_TYPES.length + 1);
    const m = await scrape(b.url + '/metrics');
    expect(m.value('livebus_transport_skipped_entries_total')).toBe(
      BAD_TYPES.length + 1,
    );
    expect(transportOf(b).lastError).toMatch(
      /of livebus:latest is not an event this bus wrote/,
    );
  });
});
