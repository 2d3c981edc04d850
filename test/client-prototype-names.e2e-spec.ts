import { readFileSync } from 'node:fs';
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io, type Socket as ClientSocket } from 'socket.io-client';
import { LivebusClient } from '../src/client/index.js';
import { until } from './utils.js';

// Finding 3 of issue 9: types named after Object.prototype members. The
// server refuses them (eventTypeProblem), but a client must survive a
// server that lets one through: here a plain Socket.IO server sends them
// raw, in the snapshot and as events.

const NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
] as const;

/** A plain Socket.IO server that hydrates with, then sends, the names above. */
async function hostileServer(): Promise<{
  url: string;
  close(): Promise<void>;
}> {
  const http: HttpServer = createServer();
  const server = new Server(http);
  server.of('/predictions').on('connection', (socket) => {
    // JSON.parse makes `__proto__` an own property, as a server's JSON would.
    const events: unknown = JSON.parse(
      `{${NAMES.map((name) => `"${name}":{"type":"${name}","from":"snapshot"}`).join(',')}}`,
    );
    socket.emit('snapshot', events, {
      seq: 10,
      epoch: 'e',
      reset: false,
      types: null,
    });
    NAMES.forEach((name, i) =>
      socket.emit(name, { type: name, from: 'live' }, { seq: 11 + i }),
    );
    // Not events of the bus: Nest's answer to a guard's refusal (no meta),
    // and an event whose meta has no seq.
    socket.emit('exception', { status: 'error', message: 'Forbidden' });
    socket.emit('odd', { type: 'odd' }, { seq: 'x' });
    socket.emit('marker', { type: 'marker' }, { seq: 11 + NAMES.length });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        void server.close(() => resolve());
      }),
  };
}

describe('a client meeting types named after Object.prototype members (finding 3)', () => {
  let server: { url: string; close(): Promise<void> };

  beforeEach(async () => {
    server = await hostileServer();
  });

  afterEach(async () => {
    await server.close();
  });

  it('LivebusClient keeps them as types: listeners, state and events work', async () => {
    const client = new LivebusClient(server.url, {
      socket: {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
      },
    });
    try {
      const got: string[] = [];
      for (const name of NAMES) {
        client.on(name, (event: { type: string }) => got.push(event.type));
      }
      const seen: string[] = [];
      client.onEvent((type) => seen.push(type));
      await until(() => client.lastSeq === 11 + NAMES.length, 5000, 'events');
      expect(got).toEqual([...NAMES]);
      expect(seen).toEqual([...NAMES, 'marker']);
      const state = client.state as unknown as Record<string, unknown>;
      expect(Object.getPrototypeOf(state)).toBeNull();
      expect(Object.keys(state).sort()).toEqual([...NAMES, 'marker'].sort());
      for (const name of NAMES) {
        expect(Object.hasOwn(state, name)).toBe(true);
        expect(state[name]).toEqual({ type: name, from: 'live' });
      }
    } finally {
      client.close();
    }
  });

  it("the README's plain client keeps them as types too", async () => {
    const readme = readFileSync(
      new URL('../README.md', import.meta.url),
      'utf8',
    );
    const start = readme.indexOf('Any plain `socket.io-client` works too');
    const block = /```js\n([\s\S]*?)```/.exec(readme.slice(start));
    if (start < 0 || !block) throw new Error("the README's plain client");
    const code = block[1].replace(/^import .*$/m, '');
    let socket: ClientSocket | undefined;
    // The example as written, its `io` pointed at the test server.
    const connect = (url: string, options: object): ClientSocket =>
      (socket = io(url.replace('http://127.0.0.1:3000', server.url), {
        ...options,
        forceNew: true,
        reconnection: false,
      }));
    const run = new Function(
      'io',
      'console',
      `${code}\nreturn { state, current: () => position };`,
    ) as (
      io: typeof connect,
      console: Pick<Console, 'warn' | 'log'>,
    ) => { state: unknown; current: () => { lastSeq: number } | null };
    const quiet = { warn: () => undefined, log: () => undefined };
    const example = run(connect, quiet);
    try {
      await until(
        () => example.current()?.lastSeq === 11 + NAMES.length,
        5000,
        'events',
      );
      const state = example.state;
      const read = (name: string): unknown =>
        state instanceof Map ? state.get(name) : (state as never)[name];
      if (!(state instanceof Map)) {
        expect([null, Object.prototype]).toContain(
          Object.getPrototypeOf(state),
        );
      }
      for (const name of NAMES) {
        expect(read(name)).toEqual({ type: name, from: 'live' });
      }
    } finally {
      socket?.disconnect();
    }
  });
});
