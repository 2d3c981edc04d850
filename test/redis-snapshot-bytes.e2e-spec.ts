import { command } from './support/redis-ha.js';
import { RedisServer } from './support/redis-server.js';
import { startApp, until, type TestApp } from './utils.js';

type Sized = { type: string; n: number; pad: string };

// Small bounds, so that a few events overflow the snapshot's bytes long
// before its count of types.
const BOUNDS = {
  maxEventBytes: 296,
  // The least it may be: maxEventBytes + 604 (the longest type, escaped).
  snapshotMaxBytes: 900,
  snapshotMaxTypes: 50,
  transientTypes: ['ping'],
};

/**
 * Events of 12 types whose sizes swing (a type grows past half the budget,
 * then shrinks back), with a transient type among them: past the byte
 * budget again and again, the least recently updated types go first.
 */
function sizedEvents(count: number, from = 1): Sized[] {
  return Array.from({ length: count }, (_, i) => {
    const n = from + i;
    const type = n % 11 === 0 ? 'ping' : `t${(n * 7) % 12}`;
    return { type, n, pad: 'x'.repeat((n * 37) % 150) };
  });
}

/** What an entry costs the snapshot: its quoted type, its JSON and two separators. */
const entryBytes = (type: string, json: string) =>
  Buffer.byteLength(JSON.stringify(type)) + Buffer.byteLength(json) + 2;

describe("the Redis latest hash is bounded by the snapshot's bytes, as the in-memory snapshot is", () => {
  let redis: RedisServer;
  const apps: TestApp[] = [];
  /** A node on the in-memory transport, or on Redis at `url`. */
  const start = async (url?: string) => {
    const app = await startApp({
      worker: false,
      ...BOUNDS,
      ...(url ? { transport: { type: 'redis', url } } : {}),
    });
    apps.push(app);
    return app;
  };
  const onRedis = () => start(redis.url);

  beforeEach(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await redis.kill();
  });

  /** The latest hash as type → event JSON, and the bytes it holds by the snapshot's count. */
  async function latestHash(): Promise<{
    events: Record<string, unknown>;
    bytes: number;
  }> {
    const flat = (await command(
      redis.port,
      'HGETALL',
      'livebus:latest',
    )) as string[];
    const events: Record<string, unknown> = {};
    let bytes = 0;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const json = flat[i + 1].slice(flat[i + 1].indexOf(' ') + 1);
      events[flat[i]] = JSON.parse(json);
      bytes += entryBytes(flat[i], json);
    }
    return { events, bytes };
  }

  it('keeps the hash within snapshotMaxBytes, equal to the in-memory snapshot; a node started late serves the same snapshot', async () => {
    const memory = await start();
    const a = await onRedis();
    const events = sizedEvents(120);
    // One at a time, then in batches (one script run each).
    for (const event of events.slice(0, 60)) {
      await memory.bus.publish(event);
      await a.bus.publish(event);
    }
    for (let i = 60; i < 120; i += 15) {
      await memory.bus.publishAll(events.slice(i, i + 15));
      await a.bus.publishAll(events.slice(i, i + 15));
    }
    const expected = memory.bus.snapshot();
    expect(Object.keys(expected).length).toBeLessThan(12);

    const hash = await latestHash();
    expect(hash.bytes).toBeLessThanOrEqual(BOUNDS.snapshotMaxBytes);
    expect(hash.events).toEqual(expected);
    // The running total beside the hash is exact, and is counted again
    // from the hash when it is missing (a hash written before it was kept).
    const total = async () =>
      Number(await command(redis.port, 'GET', 'livebus:latest-bytes'));
    expect(await total()).toBe(hash.bytes);
    await command(redis.port, 'DEL', 'livebus:latest-bytes');
    await a.bus.publish({ type: 'ping', n: 0, pad: '' });
    await memory.bus.publish({ type: 'ping', n: 0, pad: '' });
    expect(await total()).toBe(hash.bytes);
    // The order set prunes with the hash.
    expect(await command(redis.port, 'ZCARD', 'livebus:latest-order')).toBe(
      Object.keys(expected).length,
    );
    // HSTRLEN, field by field, agrees: each value is `<seq> <json>`.
    let stored = 0;
    for (const type of Object.keys(expected)) {
      stored += Number(
        await command(redis.port, 'HSTRLEN', 'livebus:latest', type),
      );
    }
    expect(stored).toBeGreaterThan(0);
    expect(stored).toBeLessThanOrEqual(
      BOUNDS.snapshotMaxBytes + 16 * Object.keys(expected).length,
    );

    await until(() => a.bus.lastSeq === 121, 5000, 'A read 121');
    expect(a.bus.snapshot()).toEqual(expected);
    // A node that starts now loads the hash and replays the kept stream.
    const late = await onRedis();
    expect(late.bus.snapshot()).toEqual(expected);
    const rest = await fetch(`${late.url}/api/ws/snapshot`);
    expect(rest.status).toBe(200);
    const text = await rest.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(
      BOUNDS.snapshotMaxBytes + 2,
    );
    expect(JSON.parse(text)).toEqual(expected);
  });

  it('a node started late, while the stream holds only the newest events, restores the same bounded snapshot', async () => {
    const memory = await start();
    const a = await onRedis();
    // A type that grows to a third of the budget, then shrinks: memory
    // keeps 'old' beside it and 'big' (640 of 900 bytes). Replaying the
    // swing's big value over all three would reach 902 and push 'old' out.
    const events: Sized[] = [
      { type: 'old', n: 1, pad: 'o'.repeat(264) },
      { type: 'swing', n: 2, pad: 's'.repeat(262) },
      { type: 'swing', n: 3, pad: '' },
      { type: 'big', n: 4, pad: 'b'.repeat(264) },
    ];
    for (const event of events) {
      await memory.bus.publish(event);
      await a.bus.publish(event);
    }
    const expected = memory.bus.snapshot();
    expect(Object.keys(expected)).toEqual(['old', 'swing', 'big']);
    expect((await latestHash()).events).toEqual(expected);
    // The stream keeps the newest 3 only (as if trimmed): 'old' is in the
    // hash alone, the swing is replayed.
    await command(redis.port, 'XTRIM', 'livebus:stream', 'MAXLEN', 3);
    const late = await onRedis();
    expect(late.bus.lastSeq).toBe(4);
    expect(late.bus.snapshot()).toEqual(expected);
    const plan = late.bus.resume(a.bus.epoch, 1);
    if (plan.kind !== 'replay') throw new Error(`a ${plan.kind}, not a replay`);
    expect(plan.messages.map((m) => m.seq)).toEqual([2, 3, 4]);
  });
});
