import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket as ServerSocket } from 'socket.io';
import { LivebusClient } from '../src/client/index.js';
import { REAUTH_MESSAGE } from '../src/protocol/messages.js';
import { until } from './utils.js';

// LivebusClient against a bare Socket.IO server that records every
// handshake: what the app gives as `auth` must reach the server, beside the
// client's own resume position, on the first connection and on every
// reconnection.

describe('LivebusClient: the app’s auth reaches the server', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  const handshakes: Record<string, unknown>[] = [];
  const sockets: ServerSocket[] = [];
  const clients: LivebusClient[] = [];

  beforeEach(async () => {
    handshakes.length = 0;
    http = createServer();
    io = new Server(http);
    io.of('/predictions').on('connection', (socket) => {
      handshakes.push({ ...socket.handshake.auth });
      sockets.push(socket);
      socket.emit(
        'snapshot',
        {},
        {
          seq: 7,
          epoch: 'e1',
          reset: false,
          types: null,
        },
      );
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    sockets.length = 0;
    await new Promise((resolve) => io.close(resolve));
  });

  const client = (options: ConstructorParameters<typeof LivebusClient>[1]) => {
    const c = new LivebusClient(url, {
      ...options,
      socket: {
        transports: ['websocket'],
        reconnectionDelay: 50,
        ...options?.socket,
      },
    });
    clients.push(c);
    return c;
  };

  /** Drops the connection from the server side, the way a network blip does. */
  const blip = (): void => {
    sockets.at(-1)!.conn.close();
  };

  it('merges socket.auth (an object) with the resume position', async () => {
    const c = client({ socket: { auth: { token: 'abc' } }, types: ['a'] });
    await until(() => c.epoch === 'e1', 5000, 'hydrated');
    expect(handshakes[0]).toEqual({ token: 'abc', types: ['a'] });
    blip();
    await until(() => handshakes.length === 2, 5000, 'reconnected');
    expect(handshakes[1]).toEqual({
      token: 'abc',
      types: ['a'],
      epoch: 'e1',
      lastSeq: 7,
    });
  });

  it('merges socket.auth given as Socket.IO’s callback function', async () => {
    let n = 0;
    const c = client({
      socket: { auth: (send) => send({ token: `t${++n}` }) },
    });
    await until(() => c.epoch === 'e1', 5000, 'hydrated');
    blip();
    await until(() => handshakes.length === 2, 5000, 'reconnected');
    expect(handshakes).toEqual([
      { token: 't1' },
      { token: 't2', epoch: 'e1', lastSeq: 7 },
    ]);
  });

  it('asks its auth provider on every connection; the resume position is the client’s own', async () => {
    let n = 0;
    const c = client({
      auth: async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        // An app field must not move the client's resume position.
        return { token: `t${++n}`, lastSeq: 999 };
      },
    });
    await until(() => c.epoch === 'e1', 5000, 'hydrated');
    expect(handshakes[0]).toEqual({ token: 't1' });
    blip();
    await until(() => handshakes.length === 2, 5000, 'reconnected');
    expect(handshakes[1]).toEqual({ token: 't2', epoch: 'e1', lastSeq: 7 });
  });

  it('answers the server’s reauth request from its provider, without reconnecting', async () => {
    let n = 0;
    const c = client({ auth: () => Promise.resolve({ token: `t${++n}` }) });
    await until(() => c.epoch === 'e1', 5000, 'hydrated');
    const answer = await sockets[0].emitWithAck(REAUTH_MESSAGE, {
      expiresAt: Date.now() + 1000,
    });
    expect(answer).toEqual({ token: 't2' });
    expect(handshakes).toHaveLength(1);
    expect(c.connection).toBe('live');
    // Not taken for an event.
    expect(c.state).toEqual({});
  });
});
