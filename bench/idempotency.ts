/**
 * The cost of idempotency ids on append throughput, in one run on the same
 * machine: `npm run build && node dist/bench/idempotency.js [--quick]`.
 *
 * One node (a `LivebusCore` fed by the Redis transport, whose reader reads
 * every event back, as a node that publishes and serves does) appends
 * single events of about 200 bytes with up to 256 appends in flight
 * (pipelined on the writer's connection), on a redis-server started here.
 * Rounds alternate between plain appends and appends that each carry a new
 * idempotency id (looked up, stored, and past `idempotencyMaxIds` pruned, in
 * the same script); the figure is the median of each, and their ratio. The
 * memory transport is measured the same way.
 *
 * With Redis, the node (one process: appends, reads back, feeds the bus) is
 * usually what limits appends/s, not Redis. So the bench also reads what each
 * append script cost Redis itself (INFO commandstats, microseconds of Redis's
 * one thread per call): the ceiling of a stream, whatever the number of nodes.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { LivebusCore } from '../src/core/livebus-core.js';
import type { EventTransport } from '../src/transports/event-transport.js';
import { MemoryTransport } from '../src/transports/memory.transport.js';
import { RedisTransport } from '../src/transports/redis/redis.transport.js';
import { RedisServer } from '../test/support/redis-server.js';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 4 : 12;
const APPENDS = quick ? 5_000 : 15_000;
const IN_FLIGHT = 256;
const PAYLOAD = 'x'.repeat(160);

/** Microseconds of Redis per append script since the last reset (0 without Redis). */
async function scriptCost(admin: Redis | null): Promise<number> {
  if (!admin) return 0;
  const stats = (await admin.info('commandstats')) as string;
  const cost = /cmdstat_evalsha:calls=\d+,usec=\d+,usec_per_call=([\d.]+)/.exec(
    stats,
  );
  return Number(cost?.[1] ?? 0);
}

/** Appends per second for one round, with or without ids. */
async function round(
  transport: EventTransport,
  bus: LivebusCore,
  withIds: boolean,
): Promise<number> {
  const prefix = randomUUID();
  const started = process.hrtime.bigint();
  let next = 0;
  const lane = async () => {
    while (next < APPENDS) {
      const n = next++;
      const event = bus.accept({ type: `t${n % 50}`, n, payload: PAYLOAD });
      await transport.append(
        [event],
        withIds ? { id: `${prefix}-${n}` } : undefined,
      );
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return APPENDS / seconds;
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
}

interface Figures {
  plain: number;
  ids: number;
  plainUs: number;
  idsUs: number;
}

async function measure(
  name: string,
  transport: EventTransport,
  admin: Redis | null,
): Promise<Figures> {
  const bus = new LivebusCore({ historyMaxEvents: 1000 });
  await transport.start(bus);
  try {
    await round(transport, bus, false); // warm-up
    const rates = { plain: [] as number[], ids: [] as number[] };
    const costs = { plain: [] as number[], ids: [] as number[] };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which goes first.
      for (const withIds of r % 2 === 0 ? [false, true] : [true, false]) {
        await admin?.config('RESETSTAT');
        const rate = await round(transport, bus, withIds);
        const cost = await scriptCost(admin);
        const kind = withIds ? 'ids' : 'plain';
        rates[kind].push(rate);
        costs[kind].push(cost);
        process.stdout.write(
          `${name} round ${r + 1}/${ROUNDS} ${withIds ? 'with ids' : 'plain   '}: ${Math.round(rate).toLocaleString('en')} appends/s${admin ? `, ${cost.toFixed(1)} µs of Redis per append` : ''}\n`,
        );
      }
    }
    return {
      plain: median(rates.plain),
      ids: median(rates.ids),
      plainUs: median(costs.plain),
      idsUs: median(costs.ids),
    };
  } finally {
    bus.close();
    await transport.stop();
  }
}

async function main(): Promise<void> {
  const redis = await RedisServer.start();
  const admin = new Redis(redis.url);
  try {
    const results = {
      redis: await measure(
        'redis',
        new RedisTransport({ type: 'redis', url: redis.url }),
        admin,
      ),
      memory: await measure('memory', new MemoryTransport(), null),
    };
    const f = (n: number) => Math.round(n).toLocaleString('en');
    const lines = [
      '',
      '| transport | plain appends/s | with ids | ratio | Redis µs per append, plain / with ids | ratio |',
      '| --- | --- | --- | --- | --- | --- |',
      ...Object.entries(results).map(
        ([name, r]) =>
          `| ${name} | ${f(r.plain)} | ${f(r.ids)} | ${(r.ids / r.plain).toFixed(2)}× | ${r.plainUs ? `${r.plainUs.toFixed(1)} / ${r.idsUs.toFixed(1)}` : ''} | ${r.plainUs ? `${(r.idsUs / r.plainUs).toFixed(2)}×` : ''} |`,
      ),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    admin.disconnect();
    await redis.kill();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
});
