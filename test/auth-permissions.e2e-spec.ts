import type { ExecutionContext } from '@nestjs/common';
import type { Socket as ServerSocket } from 'socket.io';
import { LivebusStatsService, type LivebusAuthOptions } from '../src/index.js';
import { once, openSse, receive, record, until } from './utils.js';
import { outcome, startAuthApp, type AuthApp } from './support/auth-app.js';

interface User {
  readonly name: string;
  readonly reads: readonly string[];
  readonly publishes: readonly string[];
}

const USERS: Record<string, User> = {
  alice: { name: 'alice', reads: ['alice'], publishes: ['public', 'alice'] },
  bob: { name: 'bob', reads: ['bob'], publishes: [] },
};

/** The token: the user's name, from the handshake or the Authorization header. */
function tokenOf(context: ExecutionContext): unknown {
  if (context.getType() === 'ws') {
    return context.switchToWs().getClient<ServerSocket>().handshake.auth.token;
  }
  const header: unknown = context.switchToHttp().getRequest()
    .headers.authorization;
  return typeof header === 'string' ? header.replace(/^Bearer /, '') : null;
}

/** Who asked canRead about which type: the hook is not on the event path. */
const asked: string[] = [];

const auth: LivebusAuthOptions = {
  authenticate: (context) => USERS[String(tokenOf(context))] ?? null,
  canRead(user: User, type: string) {
    asked.push(`${user.name}:${type}`);
    return type.startsWith('public') || user.reads.includes(type);
  },
  canPublish: (user: User, type: string) => user.publishes.includes(type),
};

const as = (name: string) => ({ authorization: `Bearer ${name}` });

describe('per-type permissions: what a principal may read, on every path', () => {
  let t: AuthApp;
  beforeEach(() => {
    asked.length = 0;
  });
  afterEach(() => t.close());

  const publish = async (...types: string[]) => {
    for (const type of types) await t.bus.publish({ type, at: t.bus.lastSeq });
  };

  it('the snapshot (socket and REST), the live stream and SSE carry only readable types; a client filter narrows it', async () => {
    t = await startAuthApp({ auth });
    await publish('public', 'secret', 'alice', 'bob');
    const alice = t.connect({ token: 'alice' });
    const narrow = t.connect({ token: 'alice', types: ['alice'] });
    const [toAlice, toNarrow] = [record(alice), record(narrow)];
    const sse = await openSse(t.url + '/api/events/stream', as('alice'));
    await receive(toAlice, 1);
    await receive(toNarrow, 1);
    await until(() => sse.messages.some((m) => m.event === 'snapshot'));

    const rest = await fetch(t.url + '/api/ws/snapshot', {
      headers: as('alice'),
    });
    expect(Object.keys(await rest.json())).toEqual(['public', 'alice']);
    expect(Object.keys(toAlice[0].event as object)).toEqual([
      'public',
      'alice',
    ]);
    expect(toNarrow[0].event).toEqual({ alice: { type: 'alice', at: 2 } });
    const sseSnapshot = JSON.parse(sse.messages[0].data!);
    expect(Object.keys(sseSnapshot.events)).toEqual(['public', 'alice']);

    await publish('secret', 'bob', 'public', 'alice', 'public-2');
    await receive(toAlice, 4);
    await receive(toNarrow, 2);
    await until(() => sse.messages.filter((m) => m.id).length === 4);
    expect(toAlice.map((m) => [m.name, m.meta.seq])).toEqual([
      ['snapshot', 4],
      ['public', 7],
      ['alice', 8],
      ['public-2', 9],
    ]);
    expect(toNarrow.map((m) => m.name)).toEqual(['snapshot', 'alice']);
    expect(sse.messages.filter((m) => m.id).map((m) => m.event)).toEqual([
      'snapshot',
      'public',
      'alice',
      'public-2',
    ]);
    await sse.close();
    for (const seen of [toAlice, toNarrow, sse.messages]) {
      expect(JSON.stringify(seen)).not.toMatch(/secret|bob/);
    }
  });

  it('a resumed client’s replay carries only readable types', async () => {
    t = await startAuthApp({ auth });
    await publish('public');
    const first = t.connect({ token: 'alice' });
    const [, meta] = await once<[unknown, { seq: number; epoch: string }]>(
      first,
      'snapshot',
    );
    first.disconnect();
    await until(() => t.bus.stats().subscribers === 0);
    await publish('secret', 'alice', 'bob', 'public');
    const again = t.connect({
      token: 'alice',
      epoch: meta.epoch,
      lastSeq: meta.seq,
    });
    const got = record(again);
    await receive(got, 3);
    expect(got.map((m) => m.name)).toEqual(['resumed', 'alice', 'public']);
    expect(got[0].event).toMatchObject({ fromSeq: 2, toSeq: 5, replayed: 2 });
  });

  it('refuses a type it may not read, naming it: at the handshake, in subscribe (the filter stays), on SSE', async () => {
    t = await startAuthApp({ auth });
    await publish('public', 'secret');
    expect(
      await outcome(t.connect({ token: 'alice', types: ['public', 'secret'] })),
    ).toMatchObject({
      kind: 'refused',
      error: {
        message: 'types: you may not read "secret"',
        data: {
          code: 'forbidden',
          message: 'types: you may not read "secret"',
        },
      },
    });

    const alice = t.connect({ token: 'alice', types: ['public'] });
    const got = record(alice);
    await receive(got, 1);
    expect(
      await alice.emitWithAck('subscribe', { types: ['alice', 'secret'] }),
    ).toEqual({ error: 'types: you may not read "secret"', code: 'forbidden' });
    await publish('alice', 'public');
    await receive(got, 2);
    expect(got.map((m) => m.name)).toEqual(['snapshot', 'public']);
    // All types: all it may read, never more.
    expect(await alice.emitWithAck('subscribe', { types: null })).toEqual({
      seq: 4,
    });
    await receive(got, 3);
    expect(got[2].event).toEqual({
      public: { type: 'public', at: 3 },
      alice: { type: 'alice', at: 2 },
    });

    const sse = await fetch(t.url + '/api/events/stream?types=public,secret', {
      headers: as('alice'),
    });
    expect(sse.status).toBe(403);
    expect(await sse.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'types: you may not read "secret"',
      code: 'forbidden',
      field: 'types',
    });
    const { clients } = await t.app.get(LivebusStatsService).sample();
    expect(clients.socketio.refused.forbidden).toBe(1);
    expect(clients.sse.refused.forbidden).toBe(1);
  });

  it('asks canRead once per type and connection, never per event', async () => {
    t = await startAuthApp({ auth });
    const alice = t.connect({ token: 'alice' });
    const got = record(alice);
    await receive(got, 1);
    for (let i = 0; i < 200; i++) await publish(i % 2 ? 'public' : 'secret');
    await receive(got, 101);
    expect(asked.sort()).toEqual(['alice:public', 'alice:secret']);
  });

  it('ingest publishes only the types the principal may publish, all or nothing', async () => {
    t = await startAuthApp({ auth });
    const post = (token: string, body: unknown) =>
      fetch(t.url + '/api/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...as(token) },
        body: JSON.stringify(body),
      });
    const batch = await post('alice', [
      { type: 'public', n: 1 },
      { type: 'secret', n: 2 },
    ]);
    expect(batch.status).toBe(403);
    expect(await batch.json()).toEqual({
      statusCode: 403,
      error: 'Forbidden',
      message: 'events[1].type: you may not publish "secret"',
      code: 'forbidden',
      field: 'events[1].type',
    });
    const single = await post('bob', { type: 'public', n: 3 });
    expect(single.status).toBe(403);
    expect(await single.json()).toMatchObject({ field: 'event.type' });
    expect(t.bus.lastSeq).toBe(0);
    expect(
      (await post('alice', [{ type: 'public' }, { type: 'alice' }])).status,
    ).toBe(202);
    expect(t.bus.lastSeq).toBe(2);
  });
});
