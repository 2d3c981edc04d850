import type { Socket } from 'socket.io-client';
import { LivebusStatsService } from '../src/index.js';
import { once, startApp, type TestApp } from './utils.js';

// Finding 5 of issue 9 (the type filter and the handshake were unbounded)
// and finding 10's client-request part (lastSeq "0x10" and "1e3" accepted,
// a 12 KB Last-Event-ID echoed whole): every client request is bounded,
// and a refusal names the limit and quotes at most a prefix.

type Refusal = Error & { data?: { code?: string; message?: string } };

/** How a handshake ends: connected, or refused with the connect_error. */
function outcome(socket: Socket): Promise<'connected' | Refusal> {
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (error: Refusal) => resolve(error));
  });
}

const names = (n: number, prefix = 't'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** The `subscribe` ack for `body`. */
function subscribe(
  socket: Socket,
  body: unknown,
): Promise<{ seq?: number; error?: string; code?: string }> {
  return new Promise((resolve) => socket.emit('subscribe', body, resolve));
}

describe('client request limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ worker: false });
  });

  afterAll(async () => {
    await t.close();
  });

  const refusedBadRequest = async (
    auth: object,
    query?: Record<string, string>,
  ): Promise<Refusal> => {
    const result = await outcome(t.connect('/predictions', { auth, query }));
    if (result === 'connected') throw new Error('the handshake was accepted');
    expect(result.data?.code).toBe('bad_request');
    expect(result.message.length).toBeLessThan(300);
    return result;
  };

  it('refuses a filter of more than maxFilterTypes (256) types, naming the limit', async () => {
    const error = await refusedBadRequest({ types: names(257) });
    expect(error.message).toMatch(
      /^types: .*at most 256 types \(option maxFilterTypes\), got 257/,
    );
    // Exactly at the limit is fine.
    const ok = await outcome(
      t.connect('/predictions', { auth: { types: names(256) } }),
    );
    expect(ok).toBe('connected');
  });

  it('refuses a handshake over maxHandshakeBytes (32 KiB), naming the limit', async () => {
    const error = await refusedBadRequest({ pad: 'x'.repeat(40_000) });
    expect(error.message).toMatch(
      /^handshake: .*over the limit of 32768 bytes \(option maxHandshakeBytes\)/,
    );
    // 100,000 names: refused for its size before anything is built of it.
    const many = await refusedBadRequest({ types: names(100_000) });
    expect(many.message).toMatch(/maxHandshakeBytes/);
  });

  it.each([
    ['__proto__', /is not a type name/],
    ['constructor', /Object\.prototype/],
    ['toString', /Object\.prototype/],
    ['a b', /is not a type name/],
    ['a\nid: 1', /is not a type name/],
    ['x'.repeat(101), /at most 100 characters/],
    ['snapshot', /reserved/],
  ])('refuses the filter type %j with the type rule', async (type, problem) => {
    const error = await refusedBadRequest({ types: ['ok', type] });
    expect(error.message).toMatch(/^types: entry 1: /);
    expect(error.message).toMatch(problem);
    const viaQuery = await refusedBadRequest({}, { types: `ok,${type}` });
    expect(viaQuery.message).toMatch(/^types: entry 1: /);
  });

  it.each(['0x10', '1e3', '1.0', ' 7', '-0', '+5', '9'.repeat(17)])(
    'accepts only decimal digits as lastSeq: refuses %j',
    async (lastSeq) => {
      const error = await refusedBadRequest({ lastSeq, epoch: t.bus.epoch });
      expect(error.message).toMatch(/^lastSeq: /);
    },
  );

  it('quotes at most a short prefix of a refused lastSeq', async () => {
    const error = await refusedBadRequest({
      lastSeq: 'z'.repeat(20_000),
      epoch: t.bus.epoch,
    });
    expect(error.message).toMatch(/^lastSeq: .*"z{32}"… \(20000 characters\)/);
  });

  it("never takes a refused value's own words for its description", async () => {
    // An object whose own `constructor.name` is text of the sender's.
    const error = await refusedBadRequest({
      lastSeq: { constructor: { name: 'q'.repeat(5000) } },
      epoch: t.bus.epoch,
    });
    expect(error.message).toBe(
      'lastSeq: must be a non-negative integer, got an object',
    );
  });

  it('applies the same caps to subscribe, answering { error, code }', async () => {
    const socket = t.connect();
    await once(socket, 'snapshot');
    const tooMany = await subscribe(socket, { types: names(257) });
    expect(tooMany).toEqual({
      error: expect.stringMatching(
        /at most 256 types \(option maxFilterTypes\)/,
      ),
      code: 'bad_request',
    });
    const tooBig = await subscribe(socket, {
      types: ['a'],
      pad: 'x'.repeat(40_000),
    });
    expect(tooBig).toEqual({
      error: expect.stringMatching(
        /over the limit of 32768 bytes \(option maxHandshakeBytes\)/,
      ),
      code: 'bad_request',
    });
    const proto = await subscribe(socket, { types: ['constructor'] });
    expect(proto).toMatchObject({
      error: expect.stringMatching(/^types: entry 0: .*Object\.prototype/),
      code: 'bad_request',
    });
    // The connection is still good.
    expect(await subscribe(socket, { types: names(256) })).toEqual({
      seq: expect.any(Number),
    });
  });

  it('refuses the same over SSE with 400, quoting at most a prefix', async () => {
    const cases: [string, Record<string, string>, RegExp][] = [
      [`?types=${names(257).join(',')}`, {}, /maxFilterTypes/],
      ['?types=valueOf', {}, /Object\.prototype/],
      ['', { 'last-event-id': '0x10' }, /^lastSeq: /],
      ['', { 'last-event-id': '7'.repeat(12_000) }, /^lastSeq: /],
    ];
    for (const [query, headers, message] of cases) {
      const response = await fetch(`${t.url}/api/events/stream${query}`, {
        headers,
      });
      const body = (await response.json()) as { message: string; code: string };
      expect([response.status, body.code]).toEqual([400, 'bad_request']);
      expect(body.message).toMatch(message);
      expect(body.message.length).toBeLessThan(300);
    }
  });

  it('counts the refused handshakes as bad_request refusals', async () => {
    const stats = t.app.get(LivebusStatsService);
    const before = (await stats.sample()).clients.socketio.refused.bad_request;
    await refusedBadRequest({ types: names(300) });
    const after = (await stats.sample()).clients.socketio.refused.bad_request;
    expect(after - before).toBe(1);
  });
});

describe('client request limits as options', () => {
  it('takes maxFilterTypes and maxHandshakeBytes, checked', async () => {
    const t = await startApp({
      worker: false,
      maxFilterTypes: 2,
      maxHandshakeBytes: 200,
    });
    try {
      const three = await outcome(
        t.connect('/predictions', { auth: { types: ['a', 'b', 'c'] } }),
      );
      expect(three).not.toBe('connected');
      expect((three as Refusal).message).toMatch(/at most 2 types/);
      const big = await outcome(
        t.connect('/predictions', { auth: { pad: 'x'.repeat(300) } }),
      );
      expect((big as Refusal).message).toMatch(/over the limit of 200 bytes/);
      const two = await outcome(
        t.connect('/predictions', { auth: { types: ['a', 'b'] } }),
      );
      expect(two).toBe('connected');
    } finally {
      await t.close();
    }
    await expect(
      startApp({ worker: false, maxFilterTypes: 0 }),
    ).rejects.toThrow(/maxFilterTypes must be a positive integer/);
  });
});
