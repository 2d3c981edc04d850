import { expect } from '@jest/globals';
import type { Socket } from 'socket.io-client';
import {
  TransportUnavailableError,
  type EventBusService,
  type PublishReceipt,
} from '../src/index.js';
import {
  once,
  receive,
  record,
  startApp,
  until,
  type Received,
  type TestApp,
} from './utils.js';
import type { PrimaryReplica } from './support/redis-ha.js';

type Tick = { type: string; n: number };

/** Publishes with `id`, again and again while the transport is unavailable. */
export async function publishUntilStored(
  bus: EventBusService,
  event: Tick,
  id: string,
  timeoutMs = 20_000,
): Promise<PublishReceipt> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await bus.publish(event, { id });
    } catch (error) {
      if (!(error instanceof TransportUnavailableError)) throw error;
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Apps (nodes) of one test on the Redis transport; `closeAll` closes them. */
export function nodes() {
  const apps: TestApp[] = [];
  return {
    async start(transport: Record<string, unknown>): Promise<TestApp> {
      const app = await startApp({
        worker: false,
        transport: { type: 'redis', ...transport },
      });
      apps.push(app);
      return app;
    },
    async closeAll(): Promise<void> {
      for (const app of apps.splice(0)) await app.close();
    },
  };
}

/** A socket on `app` and what it receives, once its first snapshot came. */
export async function client(app: TestApp): Promise<[Socket, Received[]]> {
  const socket = app.connect();
  const received = record(socket);
  await once(socket, 'snapshot');
  return [socket, received];
}

/**
 * The promise a failover must keep, checked on two nodes `a` and `b` of one
 * primary (`pair`): 20 events published with ids and read by B's client,
 * the replica in sync, then `failover` (which loses the primary and makes
 * the replica the primary the nodes reach). Publishing with an id goes on
 * in a new epoch, B's client is reset to what the replica holds and reads
 * on, a retry of an id stored before is still a duplicate, and B publishes
 * to A again. Returns how long after the failover began the first publish
 * was stored, in ms.
 */
export async function checkFailover(
  a: TestApp,
  b: TestApp,
  pair: PrimaryReplica,
  failover: () => Promise<void>,
): Promise<number> {
  const [, onB] = await client(b);
  for (let n = 1; n <= 20; n++) {
    await a.bus.publish({ type: `t${n % 2}`, n }, { id: `tick-${n}` });
  }
  await receive(onB, 20, (m) => m.name.startsWith('t'));
  const before = { epoch: a.bus.epoch, snapshot: a.bus.snapshot() };
  await pair.inSync();

  const failedAt = Date.now();
  await failover();
  // Publishing goes on with ids: the same event until it is stored.
  const receipt = await publishUntilStored(
    a.bus,
    { type: 't0', n: 21 },
    'tick-21',
  );
  const publishedAfterMs = Date.now() - failedAt;
  expect(receipt.epoch).not.toBe(before.epoch);
  expect(receipt.seq).toBe(21);
  // B's client is told: a reset in the new epoch, with everything the
  // replica had, then the new event (or the reset already holds it).
  await until(
    () =>
      onB.some(
        (m) =>
          m.name === 'snapshot' &&
          m.meta.reset === true &&
          m.meta.epoch === receipt.epoch,
      ),
    10_000,
    'a reset on B',
  );
  await until(() => b.bus.lastSeq === 21, 10_000, 'B read 21');
  expect(b.bus.epoch).toBe(receipt.epoch);
  expect(b.bus.snapshot()).toEqual({
    ...before.snapshot,
    t0: { type: 't0', n: 21 },
  });
  // A retry of an event stored before the failover is still a duplicate.
  const retried = await a.bus.publish({ type: 't1', n: 19 }, { id: 'tick-19' });
  expect(retried).toMatchObject({ seq: 19, duplicate: true });
  // And B reads on (never stalled by the replica's ids).
  const next = await b.bus.publish({ type: 't1', n: 22 }, { id: 'tick-22' });
  await until(() => a.bus.lastSeq === next.seq, 10_000, 'A read 22');
  await until(() => a.bus.transportState.state === 'ready', 10_000, 'A ready');
  return publishedAfterMs;
}
