import type { ExecutionContext } from '@nestjs/common';
import type { Socket as ServerSocket } from 'socket.io';
import { LivebusClient } from '../src/client/index.js';
import {
  CLOSE_MESSAGE,
  LivebusStatsService,
  REAUTH_MESSAGE,
  type CloseNotice,
  type LivebusAuthOptions,
} from '../src/index.js';
import { openSse, receive, record, until } from './utils.js';
import { outcome, startAuthApp, type AuthApp } from './support/auth-app.js';

// A token is `name:expiresAt[:type,type]` (ms since the epoch); the
// principal carries its expiry, so the server asks for a fresh one before.

const token = (ttlMs: number, reads = 'a,b') =>
  `u:${Date.now() + ttlMs}:${reads}`;

function principal(context: ExecutionContext) {
  const value: unknown =
    context.getType() === 'ws'
      ? context.switchToWs().getClient<ServerSocket>().handshake.auth.token
      : (context.switchToHttp().getRequest().headers.authorization ?? '')
          .toString()
          .replace(/^Bearer /, '');
  const [name, expiresAt, reads] = String(value).split(':');
  if (name !== 'u' || !Number(expiresAt)) return null;
  return {
    name,
    expiresAt: Number(expiresAt),
    reads: (reads ?? '').split(','),
  };
}

const auth = (refreshBeforeMs: number): LivebusAuthOptions => ({
  authenticate: principal,
  canRead: (user: { reads: string[] }, type: string) =>
    user.reads.includes(type),
  refreshBeforeMs,
});

describe('credentials that expire', () => {
  let t: AuthApp;
  const clients: LivebusClient[] = [];
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await t.close();
  });

  /** Publishes `a` every 20 ms until stopped. */
  const ticker = () => {
    const timer = setInterval(
      () => void t.bus.publish({ type: 'a', at: Date.now() }),
      20,
    );
    return () => clearInterval(timer);
  };

  it('LivebusClient refreshes its token in-band: the same connection, every event once, no re-hydration', async () => {
    // Asked 1 s before a 1.5 s credential expires: a loaded machine has
    // a second to answer.
    t = await startAuthApp({ auth: auth(1000) });
    let asked = 0;
    const client = new LivebusClient(t.url, {
      auth: async () => {
        asked++;
        return { token: token(1500) };
      },
      socket: { transports: ['websocket'], reconnectionDelay: 50 },
    });
    clients.push(client);
    const connection: string[] = [];
    const seqs: number[] = [];
    let resets = 0;
    client.onConnection((state) => connection.push(state));
    client.onEvent((_type, _event, meta) => seqs.push(meta.seq));
    client.onReset(() => resets++);
    await until(() => client.connection === 'live', 5000, 'live');
    const id = client.socket.id;
    const start = client.lastSeq;
    const stop = ticker();
    // Past two lifetimes of the first token.
    await new Promise((resolve) => setTimeout(resolve, 3200));
    stop();
    await until(() => client.lastSeq === t.bus.lastSeq, 5000, 'caught up');
    expect(asked).toBeGreaterThanOrEqual(4);
    expect(connection).toEqual(['live']);
    expect(client.socket.id).toBe(id);
    expect(client.closeNotice).toBeNull();
    expect(resets).toBe(0);
    expect(client.gapCount).toBe(0);
    expect(seqs.length).toBeGreaterThan(50);
    expect(seqs).toEqual(
      Array.from({ length: seqs.length }, (_, i) => start + 1 + i),
    );
  });

  it('disconnects a client that does not answer with auth_expired at expiry, the notice first', async () => {
    t = await startAuthApp({ auth: auth(300) });
    const expiresAt = Date.now() + 600;
    const socket = t.connect({ token: `u:${expiresAt}:a` });
    const got = record(socket);
    const ended = new Promise<[string, number]>((resolve) =>
      socket.once('disconnect', (reason) => resolve([reason, Date.now()])),
    );
    expect(await outcome(socket)).toEqual({
      kind: 'connected',
      first: 'snapshot',
    });
    const [reason, at] = await ended;
    expect(reason).toBe('io server disconnect');
    expect(at).toBeGreaterThanOrEqual(expiresAt);
    expect(got.map((m) => m.name)).toEqual([
      'snapshot',
      REAUTH_MESSAGE,
      CLOSE_MESSAGE,
    ]);
    expect(got[1].event).toEqual({ expiresAt });
    expect(got[2].event).toEqual({
      code: 'auth_expired',
      message: 'the credential expired: connect again with a fresh one',
    });
    await until(() => t.bus.stats().subscribers === 0);
    const { clients: stats } = await t.app.get(LivebusStatsService).sample();
    expect(stats.socketio.disconnections.auth_expired).toBe(1);
  });

  it.each([
    ['a refused credential', () => 'nobody'],
    ['the same credential again', (old: string) => old],
    ['no credential', () => undefined],
  ])(
    'disconnects at expiry a client that answers with %s',
    async (_, answer) => {
      t = await startAuthApp({ auth: auth(300) });
      const old = token(500, 'a');
      const socket = t.connect({ token: old });
      socket.on(REAUTH_MESSAGE, (_request, ack: (fields: unknown) => void) =>
        ack({ token: answer(old) }),
      );
      const got = record(socket);
      const [reason] = await new Promise<[string]>((resolve) =>
        socket.once('disconnect', (r) => resolve([r])),
      );
      expect(reason).toBe('io server disconnect');
      expect(got.at(-1)?.event).toMatchObject({ code: 'auth_expired' });
    },
  );

  it('asks again when a fresh credential does not expire later (a token cache, or a JWT exp in whole seconds)', async () => {
    t = await startAuthApp({ auth: auth(2300) });
    const first = token(2500, 'a');
    const socket = t.connect({ token: first });
    const answers: string[] = [];
    socket.on(REAUTH_MESSAGE, (_request, ack: (fields: unknown) => void) => {
      // The cached token first, a fresh one the next time.
      const next = answers.length === 0 ? first : token(60_000, 'a');
      answers.push(next);
      ack({ token: next });
    });
    await outcome(socket);
    await new Promise((resolve) => setTimeout(resolve, 2800));
    expect(answers).toHaveLength(2);
    expect(socket.connected).toBe(true);
  });

  it('a refresh applies the new principal’s permissions from the next event', async () => {
    t = await startAuthApp({ auth: auth(800) });
    const expiresAt = Date.now() + 1000;
    const socket = t.connect({ token: `u:${expiresAt}:a,b` });
    socket.on(REAUTH_MESSAGE, (_request, ack: (fields: unknown) => void) =>
      ack({ token: token(60_000, 'a') }),
    );
    const got = record(socket);
    await receive(got, 1);
    await t.bus.publish({ type: 'b', n: 1 });
    await receive(got, 2);
    await until(() => got.some((m) => m.name === REAUTH_MESSAGE), 5000);
    // Past the old expiry: the fresh credential was taken.
    await new Promise((resolve) =>
      setTimeout(resolve, expiresAt + 100 - Date.now()),
    );
    await t.bus.publish({ type: 'b', n: 2 });
    await t.bus.publish({ type: 'a', n: 3 });
    await until(() => got.some((m) => m.name === 'a'), 5000, 'a');
    expect(socket.connected).toBe(true);
    expect(got.map((m) => m.name)).toEqual([
      'snapshot',
      'b',
      REAUTH_MESSAGE,
      'a',
    ]);
  });

  it('refuses an expired credential at the handshake with auth_expired; LivebusClient comes back with a fresh one', async () => {
    t = await startAuthApp({ auth: auth(100) });
    expect(await outcome(t.connect({ token: token(-1) }))).toMatchObject({
      kind: 'refused',
      error: { data: { code: 'auth_expired' } },
    });
    let n = 0;
    const client = new LivebusClient(t.url, {
      auth: () => ({ token: token(n++ === 0 ? -1 : 60_000) }),
      socket: { transports: ['websocket'], reconnectionDelay: 50 },
    });
    clients.push(client);
    const notices: CloseNotice[] = [];
    client.onClose((notice) => notices.push(notice));
    await until(() => client.connection === 'live', 5000, 'live');
    expect(notices.map((notice) => notice.code)).toEqual(['auth_expired']);
    expect(n).toBe(2);
  });

  it('ends an SSE stream at expiry with auth_expired', async () => {
    t = await startAuthApp({ auth: auth(100) });
    const expiresAt = Date.now() + 400;
    const sse = await openSse(t.url + '/api/events/stream', {
      authorization: `Bearer u:${expiresAt}:a`,
    });
    expect(sse.status).toBe(200);
    await until(
      () => sse.messages.some((m) => m.event === CLOSE_MESSAGE),
      5000,
      'the close event',
    );
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    const close = sse.messages.find((m) => m.event === CLOSE_MESSAGE)!;
    expect(JSON.parse(close.data!)).toMatchObject({ code: 'auth_expired' });
    await sse.close();
    await until(() => t.bus.stats().subscribers === 0);
    const { clients: stats } = await t.app.get(LivebusStatsService).sample();
    expect(stats.sse.disconnections.auth_expired).toBe(1);
  });
});
