import {
  Controller,
  Get,
  Global,
  Injectable,
  Module,
  Req,
  UnauthorizedException,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Socket as ServerSocket } from 'socket.io';
import { getLivebusEntry, LivebusStatsService } from '../src/index.js';
import { openSse, until } from './utils.js';
import { outcome, startAuthApp, type AuthApp } from './support/auth-app.js';

interface User {
  name: string;
}

/** The app's own token store: what its guard asks. */
@Injectable()
class TokenStore {
  readonly users = new Map<string, User>([['t-alice', { name: 'alice' }]]);
  checks = 0;
}

function bearer(request: { headers: Record<string, unknown> }) {
  const header = request.headers.authorization;
  return typeof header === 'string'
    ? /^Bearer (.+)$/.exec(header)?.[1]
    : undefined;
}

/**
 * The app's guard, written for its own controllers and gateways as Nest's
 * docs show: the token from the socket's handshake or the Authorization
 * header, the user left where Passport would leave it.
 */
@Injectable()
class TokenGuard implements CanActivate {
  constructor(private readonly store: TokenStore) {}
  canActivate(context: ExecutionContext): boolean {
    this.store.checks++;
    const ws = context.getType() === 'ws';
    const client = ws ? context.switchToWs().getClient<ServerSocket>() : null;
    const request = ws ? null : context.switchToHttp().getRequest();
    const token: unknown = client
      ? client.handshake.auth.token
      : bearer(request);
    if (token === undefined) throw new UnauthorizedException('no token');
    const user = this.store.users.get(String(token));
    if (!user) return false;
    if (client) client.data.user = user;
    else request.user = user;
    return true;
  }
}

/** The app's own route behind the same guard. */
@Controller('me')
@UseGuards(TokenGuard)
class MeController {
  @Get()
  me(@Req() req: { user: User }): User {
    return req.user;
  }
}

const get = (url: string, token?: string) =>
  fetch(url, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

describe('auth.guards: the app’s own guard at every entry point', () => {
  let t: AuthApp;
  afterEach(() => t?.close());

  it('refuses and admits at the handshake, on SSE, the snapshot and ingest; the same guard instance as the app’s route', async () => {
    const principals: unknown[] = [];
    t = await startAuthApp(
      {
        auth: {
          guards: [TokenGuard],
          canRead: (user) => principals.push(user) > 0,
        },
      },
      { providers: [TokenStore], controllers: [MeController] },
    );
    await t.bus.publish({ type: 'a', n: 1 });
    const store = t.app.get(TokenStore);

    // Socket.IO: the guard reads client.handshake.auth.token, unchanged.
    const none = await outcome(t.connect());
    const wrong = await outcome(t.connect({ token: 't-bob' }));
    const right = await outcome(t.connect({ token: 't-alice' }));
    expect(none).toMatchObject({
      kind: 'refused',
      error: {
        message: 'no token',
        data: { code: 'unauthorized', message: 'no token' },
      },
    });
    expect(wrong).toMatchObject({
      kind: 'refused',
      error: { data: { code: 'forbidden', message: 'Forbidden resource' } },
    });
    expect(right).toEqual({ kind: 'connected', first: 'snapshot' });

    // The snapshot.
    expect((await get(t.url + '/api/ws/snapshot')).status).toBe(401);
    expect((await get(t.url + '/api/ws/snapshot', 't-bob')).status).toBe(403);
    const snapshot = await get(t.url + '/api/ws/snapshot', 't-alice');
    expect(snapshot.status).toBe(200);
    expect(await snapshot.json()).toEqual({ a: { type: 'a', n: 1 } });

    // SSE: refused before a byte of the stream.
    const refused = await fetch(t.url + '/api/events/stream');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toMatch(/json/);
    expect(await refused.text()).not.toContain('event:');
    const sse = await openSse(t.url + '/api/events/stream', {
      authorization: 'Bearer t-alice',
    });
    expect(sse.status).toBe(200);
    await until(() => sse.messages.some((m) => m.event === 'snapshot'));
    await sse.close();

    // Ingest: nothing published without the token.
    const event = { type: 'b', n: 2 };
    const postAs = (token?: string) =>
      fetch(t.url + '/api/events', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify(event),
      });
    expect((await postAs()).status).toBe(401);
    expect((await postAs('t-bob')).status).toBe(403);
    expect(t.bus.lastSeq).toBe(1);
    expect((await postAs('t-alice')).status).toBe(202);
    expect(t.bus.lastSeq).toBe(2);

    // The app's route and the bus share the guard (and its dependencies).
    const checksBefore = store.checks;
    expect(await (await get(t.url + '/me', 't-alice')).json()).toEqual({
      name: 'alice',
    });
    expect(store.checks).toBe(checksBefore + 1);
    expect(checksBefore).toBe(11);

    // The principal is what the guard left in `user`, on every path.
    expect(new Set(principals.map((p) => JSON.stringify(p)))).toEqual(
      new Set([JSON.stringify({ name: 'alice' })]),
    );
    expect(principals.length).toBeGreaterThanOrEqual(3);

    // Refusals are counted, by transport and code.
    const { clients } = await t.app.get(LivebusStatsService).sample();
    expect(clients.socketio.refused).toMatchObject({
      unauthorized: 1,
      forbidden: 1,
    });
    expect(clients.sse.refused).toMatchObject({ unauthorized: 1 });
  });

  it('creates a guard the app does not hold itself, with dependencies from a global module', async () => {
    @Global()
    @Module({ providers: [TokenStore], exports: [TokenStore] })
    class TokensModule {}
    t = await startAuthApp(
      { auth: { guards: [TokenGuard] } },
      { imports: [TokensModule] },
    );
    expect(await outcome(t.connect({ token: 't-alice' }))).toEqual({
      kind: 'connected',
      first: 'snapshot',
    });
    expect(t.app.get(TokenStore).checks).toBe(1);
  });

  it('fails the start-up, naming the guard, when Nest cannot build it', async () => {
    // TokenStore is nowhere: neither the app's nor a global module's.
    await expect(
      startAuthApp({ auth: { guards: [TokenGuard] } }),
    ).rejects.toThrow(/TokenGuard/);
  });

  it('takes auth from forRootAsync’s factory too', async () => {
    const { Test } = await import('@nestjs/testing');
    const { EventBusModule } = await import('../src/index.js');
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRootAsync({
          useFactory: () => ({ worker: false, auth: { guards: [TokenGuard] } }),
        }),
      ],
      providers: [TokenStore],
      controllers: [MeController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    try {
      expect((await get(url + '/api/ws/snapshot')).status).toBe(401);
      expect((await get(url + '/api/ws/snapshot', 't-alice')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('authenticate alone: no principal is unauthorized, a principal is kept with the socket and the request', async () => {
    const seen: unknown[] = [];
    t = await startAuthApp({
      auth: {
        authenticate: (context) => {
          const token =
            context.getType() === 'ws'
              ? context.switchToWs().getClient<ServerSocket>().handshake.auth
                  .token
              : bearer(context.switchToHttp().getRequest());
          return token === 'ok' ? { name: 'ok' } : null;
        },
        canRead: (principal) => {
          seen.push(principal);
          return true;
        },
      },
    });
    await t.bus.publish({ type: 'a', n: 1 });
    expect(await outcome(t.connect({ token: 'no' }))).toMatchObject({
      kind: 'refused',
      error: {
        data: {
          code: 'unauthorized',
          message: 'authentication required: send a valid credential',
        },
      },
    });
    expect(await outcome(t.connect({ token: 'ok' }))).toEqual({
      kind: 'connected',
      first: 'snapshot',
    });
    const refused = await get(t.url + '/api/ws/snapshot', 'no');
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'authentication required: send a valid credential',
      code: 'unauthorized',
    });
    expect((await get(t.url + '/api/ws/snapshot', 'ok')).status).toBe(200);
    expect(seen).toEqual([{ name: 'ok' }, { name: 'ok' }]);
  });

  it('refuses with forbidden, and tells the client nothing more, when a guard fails', async () => {
    t = await startAuthApp({
      auth: {
        guards: [
          {
            canActivate: () => {
              throw new TypeError('secret internals at 10.0.0.7');
            },
          },
        ],
      },
    });
    const result = await outcome(t.connect());
    expect(result).toMatchObject({
      kind: 'refused',
      error: { data: { code: 'forbidden', message: 'Forbidden resource' } },
    });
    expect(JSON.stringify(result)).not.toContain('10.0.0.7');
  });
});

/** The app's global guard: known clients only, on every route and socket. */
const asked: {
  type: string;
  pattern?: string;
  data?: unknown;
  entry: unknown;
}[] = [];
@Injectable()
class KnownClientsGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    if (context.getType() === 'ws') {
      const ws = context.switchToWs();
      asked.push({
        type: 'ws',
        pattern: ws.getPattern(),
        data: ws.getData(),
        entry: getLivebusEntry(context),
      });
      return ws.getClient<ServerSocket>().handshake.auth.client === 'known';
    }
    const request = context.switchToHttp().getRequest();
    asked.push({ type: 'http', entry: getLivebusEntry(context) });
    return request.headers['x-client'] === 'known';
  }
}

describe('the app’s global guards at the Socket.IO handshake', () => {
  let t: AuthApp;
  beforeEach(() => {
    asked.length = 0;
  });
  afterEach(() => t?.close());

  it('APP_GUARD refuses a socket before its stream starts, as it answers 403 on HTTP (no auth option)', async () => {
    t = await startAuthApp(
      {},
      { providers: [{ provide: APP_GUARD, useClass: KnownClientsGuard }] },
    );
    await t.bus.publish({ type: 'a', n: 1 });
    const stranger = t.connect({ client: 'stranger' });
    const received: string[] = [];
    stranger.onAny((name: string) => received.push(name));
    expect(await outcome(stranger)).toMatchObject({
      kind: 'refused',
      error: { data: { code: 'forbidden' } },
    });
    const known = t.connect({ client: 'known' });
    expect(await outcome(known)).toEqual({
      kind: 'connected',
      first: 'snapshot',
    });
    await t.bus.publish({ type: 'a', n: 2 });
    await until(() => t.bus.stats().subscribers === 1);
    expect(received).toEqual([]);
    expect(asked).toEqual([
      {
        type: 'ws',
        pattern: 'connection',
        data: { client: 'stranger' },
        entry: 'socketio',
      },
      {
        type: 'ws',
        pattern: 'connection',
        data: { client: 'known' },
        entry: 'socketio',
      },
    ]);
    expect((await fetch(t.url + '/api/ws/snapshot')).status).toBe(403);
    expect(asked.at(-1)).toEqual({ type: 'http', entry: 'snapshot' });
  });

  it('a guard given to useGlobalGuards applies at the handshake too', async () => {
    t = await startAuthApp(
      {},
      { configure: (app) => app.useGlobalGuards(new KnownClientsGuard()) },
    );
    expect(await outcome(t.connect({ client: 'stranger' }))).toMatchObject({
      kind: 'refused',
      error: { data: { code: 'forbidden' } },
    });
    expect(await outcome(t.connect({ client: 'known' }))).toEqual({
      kind: 'connected',
      first: 'snapshot',
    });
  });
});
