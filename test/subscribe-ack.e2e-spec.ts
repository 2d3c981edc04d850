import { CLOSE_MESSAGE } from '../src/index.js';
import { MAX_WAITING_RESYNCS } from '../src/delivery/session.js';
import { stallTcp, tcpOfSocketIo, type Stall } from './support/stall.js';
import { once, record, startApp, until, type TestApp } from './utils.js';

type Ack = { seq?: number; error?: string; code?: string };

/** Waits until `condition()` holds or `timeoutMs` passed, without failing: the assertion after it says what was missing. */
async function settle(condition: () => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('subscribe: every ack is answered', () => {
  let t: TestApp;
  let stall: Stall | undefined;
  afterEach(async () => {
    stall?.release();
    stall = undefined;
    await t.close();
  });

  it('answers all of 5,000 rapid subscribe requests from one client (merged requests share one answer)', async () => {
    // No subscribe rate limit: these tests are about answering every ack.
    t = await startApp({ worker: false, limits: false });
    await t.bus.publish({ type: 'a', n: 1 });
    const socket = t.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const COUNT = 5000;
    const acks: Ack[] = [];
    for (let i = 0; i < COUNT; i++) {
      socket.emit('subscribe', {}, (ack: Ack) => acks.push(ack));
    }
    await settle(() => acks.length === COUNT, 20_000);
    expect(acks.length).toBe(COUNT);
    expect(acks.every((ack) => ack.seq === 1)).toBe(true);
    // Merged: far fewer snapshots than requests, and each answer came after
    // the snapshot it names.
    const snapshots = received.filter((m) => m.name === 'snapshot').length;
    expect(snapshots).toBeGreaterThan(1);
    expect(snapshots).toBeLessThan(COUNT);
    // Nothing more arrives later.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(acks.length).toBe(COUNT);
  });

  it('answers every request a client made while it was not reading, once it reads again', async () => {
    // No subscribe rate limit: these tests are about answering every ack.
    t = await startApp({ worker: false, limits: false });
    for (let i = 0; i < 20; i++) {
      await t.bus.publish({ type: `t${i}`, payload: 'x'.repeat(10_000) });
    }
    const socket = t.connect();
    await once(socket, 'snapshot');
    stall = stallTcp(tcpOfSocketIo(socket));
    const acks: Ack[] = [];
    for (let i = 0; i < 1000; i++) {
      socket.emit('subscribe', {}, (ack: Ack) => acks.push(ack));
    }
    await t.bus.publish({ type: 't0', payload: 'y' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    stall.release();
    await settle(() => acks.length === 1000, 10_000);
    expect(acks.length).toBe(1000);
    expect(acks.every((ack) => typeof ack.seq === 'number')).toBe(true);
  });

  it('answers each request with the snapshot that followed it, also when the filter changes', async () => {
    // No subscribe rate limit: these tests are about answering every ack.
    t = await startApp({ worker: false, limits: false });
    await t.bus.publish({ type: 'a', n: 1 });
    await t.bus.publish({ type: 'b', n: 1 });
    const socket = t.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const answers: Ack[] = [];
    for (const type of ['a', 'b', 'a', 'b']) {
      socket.emit('subscribe', { types: [type] }, (ack: Ack) =>
        answers.push(ack),
      );
    }
    await settle(() => answers.length === 4, 5000);
    expect(answers).toEqual([{ seq: 2 }, { seq: 2 }, { seq: 2 }, { seq: 2 }]);
    // The last snapshot has the last filter.
    await until(
      () => received.filter((m) => m.name === 'snapshot').length >= 2,
    );
    const last = received.filter((m) => m.name === 'snapshot').at(-1)!;
    expect(last.meta).toMatchObject({ reset: true, types: ['b'] });
  });
});

describe('subscribe: what a client that asks and never reads is owed stays bounded', () => {
  let t: TestApp;
  let stall: Stall | undefined;
  afterEach(async () => {
    stall?.release();
    stall = undefined;
    await t.close();
  });

  it(`disconnects it with rate_limited past ${MAX_WAITING_RESYNCS} unanswered requests`, async () => {
    // No subscribe rate limit: these tests are about answering every ack.
    t = await startApp({ worker: false, limits: false });
    const socket = t.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    // It stops reading after a small snapshot (its kernel buffers stay
    // small), and the snapshot grows to far more than they take: the first
    // re-hydration stays in flight, and every request after it waits.
    stall = stallTcp(tcpOfSocketIo(socket));
    for (let i = 0; i < 100; i++) {
      await t.bus.publish({ type: `t${i}`, payload: 'x'.repeat(60_000) });
    }
    for (let i = 0; i < MAX_WAITING_RESYNCS + 100; i++) {
      socket.emit('subscribe', {}, () => undefined);
    }
    await until(() => !t.bus.hasSubscribers, 20_000, 'the server to let go');
    stall.release();
    await until(
      () => received.some((m) => m.name === CLOSE_MESSAGE),
      10_000,
      'the close notice',
    );
    const notice = received.find((m) => m.name === CLOSE_MESSAGE)!;
    expect(notice.event).toMatchObject({ code: 'rate_limited' });
  });
});
