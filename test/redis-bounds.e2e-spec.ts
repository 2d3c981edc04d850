import { RedisServer } from './support/redis-server.js';
import { command } from './support/redis-ha.js';
import {
  once,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

type Tick = { type: string; n: number };

/** How many times Redis ran `name` since the last CONFIG RESETSTAT. */
async function calls(port: number, name: string): Promise<number> {
  const stats = (await command(port, 'INFO', 'commandstats')) as string;
  return Number(
    new RegExp(`cmdstat_${name}:calls=(\\d+)`).exec(stats)?.[1] ?? 0,
  );
}

describe('the Redis transport keeps every cost bounded', () => {
  let redis: RedisServer;
  const apps: TestApp[] = [];
  const node = async (options: Record<string, unknown> = {}) => {
    const { transport, ...rest } = options;
    const app = await startApp({
      worker: false,
      ...rest,
      transport: {
        type: 'redis',
        url: redis.url,
        ...(transport as Record<string, unknown> | undefined),
      },
    });
    apps.push(app);
    return app;
  };

  beforeEach(async () => {
    // Small stream nodes, so that approximate trimming (~) trims finely;
    // a hash past 64 fields as a table, which HSCAN reads in pages (a
    // smaller one comes back whole, as one listpack).
    redis = await RedisServer.start({
      args: [
        '--stream-node-max-entries',
        '5',
        '--hash-max-listpack-entries',
        '64',
      ],
    });
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await redis.kill();
  });

  it('a node started on a long stream loads it in pages (XRANGE COUNT, HSCAN) and still serves the same snapshot and an exact resume', async () => {
    const a = await node({ queueCapacity: 64 });
    const published: Tick[] = [];
    for (let batch = 0; batch < 20; batch++) {
      const events = Array.from({ length: 100 }, (_, i) => {
        const n = batch * 100 + i + 1;
        return { type: `t${n % 300}`, n };
      });
      published.push(...events);
      await a.bus.publishAll(events);
    }
    await until(() => a.bus.lastSeq === 2000, 10_000, 'A read 2000');
    await command(redis.port, 'CONFIG', 'RESETSTAT');
    // Half a queue of 64 per page: at least 2000 / 32 XRANGE pages, and the
    // 300 types of the hash in several HSCAN pages.
    const c = await node({ queueCapacity: 64 });
    expect(await calls(redis.port, 'xrange')).toBeGreaterThanOrEqual(63);
    expect(await calls(redis.port, 'hscan')).toBeGreaterThan(1);
    expect([c.bus.epoch, c.bus.lastSeq]).toEqual([a.bus.epoch, 2000]);
    expect(c.bus.snapshot()).toEqual(a.bus.snapshot());
    const plan = c.bus.resume(a.bus.epoch, 1500);
    if (plan.kind !== 'replay') throw new Error(`a ${plan.kind}, not a replay`);
    expect(plan.messages.map((m) => m.event)).toEqual(published.slice(1500));
  });

  it('prunes the latest hash to snapshotMaxTypes, least recently updated first, as the snapshot does', async () => {
    const a = await node({ snapshotMaxTypes: 3, transientTypes: ['ping'] });
    for (let n = 1; n <= 10; n++) await a.bus.publish({ type: `t${n}`, n });
    await a.bus.publish({ type: 't8', n: 11 });
    await a.bus.publish({ type: 'ping', n: 12 });
    expect(
      (
        (await command(redis.port, 'HKEYS', 'livebus:latest')) as string[]
      ).sort(),
    ).toEqual(['t10', 't8', 't9']);
    expect(await command(redis.port, 'ZCARD', 'livebus:latest-order')).toBe(3);
    await until(() => a.bus.lastSeq === 12, 5000, 'A read 12');
    const c = await node({ snapshotMaxTypes: 3, transientTypes: ['ping'] });
    expect(c.bus.snapshot()).toEqual(a.bus.snapshot());
  });

  it('trims the stream by count (streamMaxLen) and by age (streamMaxAgeMs)', async () => {
    const a = await node({
      transport: { streamMaxLen: 20, streamMaxAgeMs: 500 },
    });
    for (let batch = 0; batch < 10; batch++) {
      await a.bus.publishAll(
        Array.from({ length: 20 }, (_, i) => ({ type: 'tick', n: i })),
      );
    }
    // Approximate trimming keeps whole nodes (5 entries here).
    expect(await command(redis.port, 'XLEN', 'livebus:stream')).toBeLessThan(
      30,
    );
    await new Promise((resolve) => setTimeout(resolve, 700));
    await a.bus.publish({ type: 'tick', n: 999 });
    expect(await command(redis.port, 'XLEN', 'livebus:stream')).toBeLessThan(6);
    await until(() => a.bus.lastSeq === 201, 5000, 'A read 201');
  });

  it('keeps at most idempotencyMaxIds ids', async () => {
    const a = await node({ idempotencyMaxIds: 5 });
    for (let n = 1; n <= 20; n++) {
      await a.bus.publish({ type: 'tick', n }, { id: `tick-${n}` });
    }
    expect(await command(redis.port, 'HLEN', 'livebus:ids')).toBe(5);
    expect(await command(redis.port, 'ZCARD', 'livebus:ids-order')).toBe(5);
    expect(
      await a.bus.publish({ type: 'tick', n: 20 }, { id: 'tick-20' }),
    ).toMatchObject({ seq: 20, duplicate: true });
    expect(
      (await a.bus.publish({ type: 'tick', n: 1 }, { id: 'tick-1' })).seq,
    ).toBe(21);
  });
});

describe('the stream reader never stalls on ids lower than the last one it read', () => {
  let redis: RedisServer;
  const apps: TestApp[] = [];
  beforeEach(async () => {
    redis = await RedisServer.start();
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await redis.kill();
  });
  const node = async () => {
    const app = await startApp({
      worker: false,
      transport: { type: 'redis', url: redis.url },
    });
    apps.push(app);
    return app;
  };

  /** B reads an entry whose id is an hour ahead (a clock ahead, or a foreign entry). */
  async function readAhead(b: TestApp): Promise<void> {
    const ahead = `${Date.now() + 3_600_000}-0`;
    await command(redis.port, 'XADD', 'livebus:stream', ahead, 'x', 'y');
    // Read (and skipped) once B's last error says so.
    await until(
      () =>
        (
          b.bus as unknown as { transport: { lastError: string } }
        ).transport.lastError.includes(ahead),
      5000,
      'B to read the entry ahead',
    );
  }

  it('after Redis came back empty (a new epoch, an empty stream), a node reads the new events', async () => {
    const [a, b] = [await node(), await node()];
    const socket = b.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    await a.bus.publish({ type: 'tick', n: 1 });
    await readAhead(b);
    const old = b.bus.epoch;
    await redis.kill();
    await redis.restart();
    // B reloads when its reader reconnects, from an empty stream...
    await until(() => b.bus.epoch !== old, 10_000, 'B in a new epoch');
    // ...and reads what comes next, whose ids are lower than the one it read.
    await until(
      () => a.bus.transportState.state === 'ready',
      10_000,
      'A ready',
    );
    await a.bus.publish({ type: 'tick', n: 2 });
    await receive(
      received,
      1,
      (m) => m.name === 'tick' && (m.event as Tick).n === 2,
      3000,
    );
  });

  it('a stream gone back under a running reader (same epoch, lower ids) is Redis gone back in time: a new epoch, the reader reads on', async () => {
    const [a, b] = [await node(), await node()];
    const socket = b.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    await a.bus.publish({ type: 'tick', n: 1 });
    await readAhead(b);
    const old = b.bus.epoch;
    // The stream is lost and made again, in the same epoch: its new ids
    // are lower than the one B read.
    await command(redis.port, 'DEL', 'livebus:stream');
    const receipt = await a.bus.publish({ type: 'tick', n: 2 });
    expect(receipt.epoch).toBe(old);
    // B notices within a blocking read's timeout (5 s) and tells its client.
    await until(() => b.bus.epoch !== old, 8000, 'B in a new epoch');
    await until(
      () =>
        received.some(
          (m) =>
            m.name === 'snapshot' &&
            m.meta.reset === true &&
            m.meta.epoch === b.bus.epoch,
        ),
      3000,
      'a reset on B',
    );
    await a.bus.publish({ type: 'tick', n: 3 });
    await receive(
      received,
      1,
      (m) => m.name === 'tick' && (m.event as Tick).n === 3,
      3000,
    );
    expect(b.bus.snapshot()).toEqual({ tick: { type: 'tick', n: 3 } });
  }, 20_000);
});
