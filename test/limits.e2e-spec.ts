import type { Socket } from 'socket.io-client';
import { LivebusClient } from '../src/client/index.js';
import { LivebusLimits } from '../src/index.js';
import {
  once,
  openSse,
  post,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

/** Engine.IO's WebSocket transport passes `localAddress` to `ws` (not in the client's types). */
const FROM_OTHER_ADDRESS = {
  localAddress: '127.0.0.2',
} as object as Parameters<TestApp['connect']>[1];

type Outcome =
  'connected' | { message: string; data?: Record<string, unknown> };

/** How a socket's connection attempt ended: connected, or its connect_error. */
function outcome(socket: Socket): Promise<Outcome> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error) =>
      resolve(error as unknown as Outcome),
    );
  });
}

/** Whether `result` is a `rate_limited` refusal that says when to retry. */
function expectRateLimited(result: Outcome): void {
  expect(result).not.toBe('connected');
  const { data } = result as Exclude<Outcome, 'connected'>;
  expect(data).toMatchObject({ code: 'rate_limited' });
  expect(data?.retryAfterMs).toEqual(expect.any(Number));
  expect(data?.retryAfterMs as number).toBeGreaterThan(0);
}

describe('limits: connections', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('new connections per second per address: refused with rate_limited and retryAfterMs; another address and the connected keep being served', async () => {
    t = await startApp({ limits: { connectionsPerSecond: 2 } });
    // The bucket holds 2 s worth: 4 connect at once, the 5th waits.
    const admitted = [1, 2, 3, 4].map(() => t.connect());
    for (const socket of admitted)
      expect(await outcome(socket)).toBe('connected');
    expectRateLimited(await outcome(t.connect()));
    // SSE streams count as connections too.
    const sse = await fetch(t.url + '/api/events/stream');
    expect(sse.status).toBe(429);
    expect(Number(sse.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await sse.json()).toMatchObject({ code: 'rate_limited' });
    // Another address is served at once; the connected clients get events.
    const other = t.connect('/predictions', FROM_OTHER_ADDRESS);
    expect(await outcome(other)).toBe('connected');
    const received = record(admitted[0]);
    await t.bus.publish({ type: 'still', n: 1 });
    await receive(received, 1, (m) => m.name === 'still');
    expect(t.app.get(LivebusLimits).stats().connections).toMatchObject({
      open: 5,
      refused: { connectionRate: 2 },
    });
  });

  it('connections in total: the one past maxConnections is refused until one leaves', async () => {
    t = await startApp({ limits: { maxConnections: 2 } });
    const [a, b] = [t.connect(), t.connect()];
    expect(await outcome(a)).toBe('connected');
    expect(await outcome(b)).toBe('connected');
    expectRateLimited(await outcome(t.connect()));
    const sse = await fetch(t.url + '/api/events/stream');
    expect(sse.status).toBe(429);
    expect(await sse.json()).toMatchObject({ code: 'rate_limited' });
    a.disconnect();
    await until(
      () => t.app.get(LivebusLimits).stats().connections.open === 1,
      5000,
      'the slot given back',
    );
    const stream = await openSse(t.url + '/api/events/stream');
    try {
      expect(stream.status).toBe(200);
      expectRateLimited(await outcome(t.connect()));
    } finally {
      await stream.close();
    }
    await until(
      () => t.app.get(LivebusLimits).stats().connections.open === 1,
      5000,
      'the stream’s slot given back',
    );
    expect(await outcome(t.connect())).toBe('connected');
    expect(
      t.app.get(LivebusLimits).stats().connections.refused.maxConnections,
    ).toBe(3);
  });

  it('connections per principal: by address by default, or by the app’s principal', async () => {
    t = await startApp({ limits: { maxConnectionsPerPrincipal: 2 } });
    for (const socket of [t.connect(), t.connect()]) {
      expect(await outcome(socket)).toBe('connected');
    }
    expectRateLimited(await outcome(t.connect()));
    expect(await outcome(t.connect('/predictions', FROM_OTHER_ADDRESS))).toBe(
      'connected',
    );
    await t.close();

    t = await startApp({
      limits: {
        maxConnectionsPerPrincipal: 1,
        principal: (context) => {
          const user = (context.socket?.handshake.auth as { user?: unknown })
            ?.user;
          return typeof user === 'string' ? user : null;
        },
      },
    });
    const as = (user: string): Socket =>
      t.connect('/predictions', { auth: { user } });
    expect(await outcome(as('ann'))).toBe('connected');
    expectRateLimited(await outcome(as('ann')));
    expect(await outcome(as('bob'))).toBe('connected');
    // No principal: only the totals apply.
    expect(await outcome(t.connect())).toBe('connected');
    expect(await outcome(t.connect())).toBe('connected');
  });
});

describe('limits: subscribe messages per socket', () => {
  it('answers the one past the rate rate_limited with retryAfterMs; other sockets are served', async () => {
    const t = await startApp({ limits: { subscribesPerSecond: 1 } });
    try {
      const socket = t.connect();
      await once(socket, 'snapshot');
      // One at a time: requests merged into one snapshot share one answer.
      const acks = [];
      for (let i = 0; i < 3; i++) {
        acks.push(await socket.emitWithAck('subscribe', {}));
      }
      expect(acks.filter((ack) => 'seq' in ack)).toHaveLength(2);
      expect(acks[2]).toMatchObject({
        code: 'rate_limited',
        retryAfterMs: expect.any(Number),
        error: expect.stringMatching(/limits\.subscribesPerSecond/),
      });
      const other = t.connect();
      await once(other, 'snapshot');
      expect(await other.emitWithAck('subscribe', {})).toEqual({
        seq: expect.any(Number),
      });
      expect(
        t.app.get(LivebusLimits).stats().connections.refused.subscribe,
      ).toBe(1);
      expect(socket.connected).toBe(true);
    } finally {
      await t.close();
    }
  });
});

describe('limits: false', () => {
  it('turns the connection limits off', async () => {
    const t = await startApp({ limits: false });
    try {
      const sockets = Array.from({ length: 60 }, () => t.connect());
      for (const socket of sockets) {
        expect(await outcome(socket)).toBe('connected');
      }
      expect((await post(t.url, { type: 'x' })).status).toBe(202);
    } finally {
      await t.close();
    }
  });
});

describe('limits: LivebusClient past the subscribe rate', () => {
  it('asks again when the server says, so its state follows its last filter', async () => {
    const t = await startApp({ limits: { subscribesPerSecond: 1 } });
    const client = new LivebusClient(t.url, {
      socket: { transports: ['websocket'], reconnection: false },
    });
    try {
      await t.bus.publish({ type: 'a' });
      await t.bus.publish({ type: 'b' });
      await t.bus.publish({ type: 'c' });
      await until(() => client.epoch !== null, 5000, 'hydrated');
      // Four filters at once: the bucket holds two; the rest are refused,
      // and the client asks again with its newest filter.
      client.setTypes(['a']);
      client.setTypes(['b']);
      client.setTypes(['a', 'b']);
      client.setTypes(['c']);
      await until(
        () => JSON.stringify(Object.keys(client.state)) === '["c"]',
        5000,
        'the last filter’s state',
      );
      expect(
        t.app.get(LivebusLimits).stats().connections.refused.subscribe,
      ).toBeGreaterThanOrEqual(1);
      // The server's filter is the client's: a new `a` does not come.
      await t.bus.publish({ type: 'a', again: true });
      await t.bus.publish({ type: 'c', again: true });
      await until(
        () =>
          (client.state as Record<string, unknown>).c !== undefined &&
          JSON.stringify(
            (client.state as Record<string, { again?: boolean }>).c,
          ) === '{"type":"c","again":true}',
        5000,
        'the next c',
      );
      expect(Object.keys(client.state)).toEqual(['c']);
    } finally {
      client.close();
      await t.close();
    }
  });
});
