import type { INestApplication } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { io, type Socket } from 'socket.io-client';
import { LivebusClient } from '../src/client/index.js';
import { receive, record, until } from './utils.js';
import { outcome } from './support/auth-app.js';

// The README's JWT example (test/support/jwt-example.ts), run as written
// with @nestjs/jwt: a real app module, real tokens.

describe('the README’s JWT example', () => {
  let app: INestApplication;
  let url: string;
  let jwt: JwtService;
  const sockets: Socket[] = [];
  const clients: LivebusClient[] = [];

  beforeAll(() => {
    process.env.JWT_SECRET = 'a test secret, never a real one';
  });
  beforeEach(async () => {
    const { AppModule } = await import('./support/jwt-example.js');
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    jwt = app.get(JwtService);
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    for (const socket of sockets.splice(0)) socket.disconnect();
    await app.close();
  });

  const connect = (token?: string) => {
    const socket = io(url + '/predictions', {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      auth: token ? { token } : {},
    });
    sockets.push(socket);
    return socket;
  };
  const sign = (roles: string[], expiresIn: `${number}s` | '15m' = '15m') =>
    jwt.sign({ sub: 'u1', roles }, { expiresIn });

  it('admits a valid token, refuses a missing, forged or expired one', async () => {
    expect(await outcome(connect())).toMatchObject({
      kind: 'refused',
      error: { data: { code: 'unauthorized', message: 'a token is required' } },
    });
    const forged = new JwtService({ secret: 'another' }).sign({
      sub: 'u1',
      roles: ['ops'],
    });
    expect(await outcome(connect(forged))).toMatchObject({
      kind: 'refused',
      error: { data: { code: 'unauthorized' } },
    });
    const expired = new JwtService({
      secret: process.env.JWT_SECRET,
    }).sign({ sub: 'u1', roles: [], exp: Math.floor(Date.now() / 1000) - 10 });
    expect(await outcome(connect(expired))).toMatchObject({
      kind: 'refused',
      error: { data: { message: 'invalid or expired token' } },
    });
    expect(await outcome(connect(sign([])))).toEqual({
      kind: 'connected',
      first: 'snapshot',
    });
  });

  it('reads public.* for everyone and the rest for operators; publishes for publishers', async () => {
    // The example runs the default activity worker too: its types aside.
    const ours = (m: { name: string }) =>
      ['snapshot', 'internal', 'public.news'].includes(m.name);
    const user = record(connect(sign([])));
    const ops = record(connect(sign(['ops'])));
    await receive(user, 1);
    await receive(ops, 1);
    const post = (roles: string[], body: unknown) =>
      fetch(url + '/api/events', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${sign(roles)}`,
        },
        body: JSON.stringify(body),
      });
    expect((await post(['ops'], { type: 'public.news' })).status).toBe(403);
    const accepted = await post(
      ['publisher'],
      [{ type: 'internal' }, { type: 'public.news' }],
    );
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ accepted: 2 });
    await receive(ops, 3, ours);
    await receive(user, 2, ours);
    expect(ops.filter(ours).map((m) => m.name)).toEqual([
      'snapshot',
      'internal',
      'public.news',
    ]);
    expect(user.map((m) => m.name)).toEqual(['snapshot', 'public.news']);
    const snapshot = await fetch(url + '/api/ws/snapshot', {
      headers: { authorization: `Bearer ${sign([])}` },
    });
    expect(Object.keys(await snapshot.json())).toEqual(['public.news']);
  });

  it('keeps a LivebusClient connected past its tokens’ expiry, refreshing them in-band', async () => {
    let signed = 0;
    const client = new LivebusClient(url, {
      auth: () => {
        signed++;
        return { token: sign(['ops'], '3s') };
      },
      socket: { transports: ['websocket'], reconnectionDelay: 50 },
    });
    clients.push(client);
    const states: string[] = [];
    client.onConnection((state) => states.push(state));
    await until(() => client.connection === 'live', 5000, 'live');
    const id = client.socket.id;
    await new Promise((resolve) => setTimeout(resolve, 4500));
    expect(states).toEqual(['live']);
    expect(client.socket.id).toBe(id);
    expect(signed).toBeGreaterThanOrEqual(2);
  });

  it('is in the README verbatim, but for the import path', () => {
    const read = (path: string) =>
      readFileSync(new URL(path, import.meta.url), 'utf8');
    const fixture = read('./support/jwt-example.ts');
    const code = fixture
      .slice(fixture.indexOf('import {'))
      .replace("'../../src/index.js'", "'nestjs-livebus'");
    expect(read('../README.md')).toContain('```ts\n' + code + '```');
  });
});
