import type { Namespace } from 'socket.io';
import { LivebusClient } from '../src/client/index.js';
import { PredictionsGateway } from '../src/index.js';
import {
  once,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

type Tick = { type: string; n: number };

function namespaceOf(t: TestApp): Namespace {
  return (t.app.get(PredictionsGateway) as unknown as { namespace: Namespace })
    .namespace;
}

describe('resume over Socket.IO (handshake lastSeq + epoch)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startApp({ worker: false, historyMaxEvents: 100 });
  });
  afterEach(() => t.close());

  it('replays exactly the missed events after a reconnect, then the live stream', async () => {
    const first = t.connect();
    const [, meta] = await once<[unknown, { seq: number; epoch: string }]>(
      first,
      'snapshot',
    );
    for (let n = 1; n <= 5; n++) await t.bus.publish({ type: 'tick', n });
    first.disconnect();
    for (let n = 6; n <= 9; n++) await t.bus.publish({ type: 'tick', n });
    const second = t.connect('/predictions', {
      auth: { epoch: meta.epoch, lastSeq: 5 },
    });
    const received = record(second);
    await receive(received, 5);
    await t.bus.publish({ type: 'tick', n: 10 });
    const got = await receive(received, 6);
    expect(got[0]).toEqual({
      name: 'resumed',
      event: { epoch: meta.epoch, fromSeq: 6, toSeq: 9, replayed: 4 },
      meta: undefined,
    });
    expect(
      got.slice(1).map((m) => [m.name, (m.event as Tick).n, m.meta.seq]),
    ).toEqual([6, 7, 8, 9, 10].map((n) => ['tick', n, n]));
  });

  it('resumes an up-to-date client after a long quiet, even with the history aged out', async () => {
    await t.close();
    t = await startApp({ worker: false, historyMaxAgeMs: 1 });
    await t.bus.publish({ type: 'status', state: 'idle' });
    const since = Date.now();
    await until(() => Date.now() - since > 20, 1000, 'history to age out');
    const socket = t.connect('/predictions', {
      auth: { epoch: t.bus.epoch, lastSeq: 1 },
    });
    const [resumed] = await once<[{ replayed: number }]>(socket, 'resumed');
    expect(resumed).toMatchObject({ fromSeq: 2, toSeq: 1, replayed: 0 });
  });

  it('sends a snapshot marked reset when the history does not reach back, or the epoch differs', async () => {
    for (let n = 1; n <= 150; n++) await t.bus.publish({ type: 'tick', n });
    const tooOld = t.connect('/predictions', {
      auth: { epoch: t.bus.epoch, lastSeq: 10 },
    });
    const otherEpoch = t.connect('/predictions', {
      auth: { epoch: 'old-server', lastSeq: 150 },
    });
    for (const socket of [tooOld, otherEpoch]) {
      const [events, meta] = await once<
        [Record<string, Tick>, { seq: number; reset: boolean }]
      >(socket, 'snapshot');
      expect(meta).toMatchObject({ seq: 150, reset: true });
      expect(events.tick.n).toBe(150);
    }
  });

  it('filters snapshot, replay and live by the handshake types, and changes them later', async () => {
    await t.bus.publish({ type: 'a', n: 1 });
    await t.bus.publish({ type: 'b', n: 2 });
    const socket = t.connect('/predictions', { auth: { types: ['a'] } });
    const received = record(socket);
    await receive(received, 1);
    expect(received[0].event).toEqual({ a: { type: 'a', n: 1 } });
    expect(received[0].meta).toMatchObject({ types: ['a'], reset: false });
    await t.bus.publish({ type: 'b', n: 3 });
    await t.bus.publish({ type: 'a', n: 4 });
    await receive(received, 2);
    expect(received[1]).toMatchObject({ name: 'a', meta: { seq: 4 } });
    const ack = await socket.emitWithAck('subscribe', { types: ['b'] });
    expect(ack).toEqual({ seq: 4 });
    await receive(received, 3);
    expect(received[2]).toMatchObject({
      name: 'snapshot',
      event: { b: { type: 'b', n: 3 } },
      meta: { seq: 4, reset: true, types: ['b'] },
    });
    expect(await socket.emitWithAck('subscribe', { types: 'a,,' })).toEqual({
      error:
        'types: must be an array of non-empty type names (or a comma-separated string)',
      code: 'bad_request',
    });
    const replay = t.connect('/predictions', {
      auth: { types: ['b'], epoch: t.bus.epoch, lastSeq: 0 },
    });
    const replayed = record(replay);
    await receive(replayed, 3);
    expect(replayed.slice(1).map((m) => m.meta.seq)).toEqual([2, 3]);
  });

  it('refuses a malformed handshake with a connect_error that names the field', async () => {
    const socket = t.connect('/predictions', { auth: { lastSeq: 3 } });
    const [error] = await once<[Error]>(socket, 'connect_error');
    expect(error.message).toBe(
      'epoch: is required with lastSeq: send the epoch of the snapshot message the seq belongs to',
    );
    // A stable code beside the message, for programs.
    expect((error as Error & { data?: unknown }).data).toMatchObject({
      code: 'bad_request',
    });
  });
});

describe('LivebusClient re-hydration across a dropped connection', () => {
  it('re-hydrates after reconnecting when the connection dropped before the asked-for snapshot came', async () => {
    const t = await startApp({ worker: false });
    const client = new LivebusClient(t.url, {
      socket: {
        transports: ['websocket'],
        forceNew: true,
        reconnectionDelay: 5,
        reconnectionDelayMax: 20,
      },
    });
    try {
      await t.bus.publish({ type: 'a', n: 1 });
      await t.bus.publish({ type: 'b', n: 2 });
      await until(() => client.lastSeq === 2, 5000, 'hydrated');
      const resets: string[] = [];
      client.onReset((reason) => resets.push(reason));
      // Ask for only 'a', and lose the connection before the answer.
      client.setTypes(['a']);
      client.socket.io.engine.close();
      await until(() => resets.length > 0, 5000, 'a re-hydration');
      expect(resets).toEqual(['types']);
      expect(client.state).toEqual({ a: { type: 'a', n: 1 } });
      await t.bus.publish({ type: 'b', n: 3 });
      await t.bus.publish({ type: 'a', n: 4 });
      await until(() => client.lastSeq === 4, 5000, 'live again');
      expect(client.state).toEqual({ a: { type: 'a', n: 4 } });
    } finally {
      client.close();
      await t.close();
    }
  });
});

describe('torture: publishing while clients are cut off at random, by every side', () => {
  it('leaves every client with exactly the published sequence: no gap, no duplicate', async () => {
    const t = await startApp({ worker: false });
    const clients: { client: LivebusClient; seqs: number[]; events: Tick[] }[] =
      [];
    try {
      for (let c = 0; c < 6; c++) {
        const client = new LivebusClient(t.url, {
          socket: {
            transports: ['websocket'],
            forceNew: true,
            reconnectionDelay: 5,
            reconnectionDelayMax: 20,
          },
        });
        const entry = { client, seqs: [] as number[], events: [] as Tick[] };
        client.onEvent((_type, event, meta) => {
          entry.seqs.push(meta.seq);
          entry.events.push(event as Tick);
        });
        clients.push(entry);
      }
      // Every client holds an epoch before the stream starts.
      await until(
        () => clients.every((c) => c.client.epoch !== null),
        5000,
        'hydrated',
      );

      const published: Tick[] = [];
      const TOTAL = 3000;
      let random = 42; // deterministic pseudo-random cuts
      const next = (below: number): number => {
        random = (random * 1103515245 + 12345) % 2 ** 31;
        return random % below;
      };
      const cuts = { client: 0, server: 0, transport: 0 };
      const namespace = namespaceOf(t);
      while (published.length < TOTAL) {
        for (let i = 0; i < 7 && published.length < TOTAL; i++) {
          const event = {
            type: `t${published.length % 4}`,
            n: published.length + 1,
          };
          published.push(event);
          await t.bus.publish(event);
        }
        if (next(10) === 0) {
          const { client } = clients[next(clients.length)];
          const serverSocket = namespace.sockets.get(client.socket.id ?? '');
          switch (next(3)) {
            case 0: // the client closes and comes back
              if (client.socket.connected) {
                cuts.client++;
                client.socket.disconnect();
                client.socket.connect();
              }
              break;
            case 1: // the server disconnects it
              if (serverSocket) {
                cuts.server++;
                serverSocket.disconnect(true);
              }
              break;
            case 2: // the network: the TCP connection dies under it
              if (serverSocket) {
                cuts.transport++;
                (
                  serverSocket.conn.transport as unknown as {
                    socket: { _socket: { destroy(): void } };
                  }
                ).socket._socket.destroy();
              }
              break;
          }
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      await until(
        () => clients.every((c) => c.client.lastSeq === TOTAL),
        20_000,
        'every client caught up',
      );
      expect(cuts.client + cuts.server + cuts.transport).toBeGreaterThan(20);
      expect(
        Math.min(cuts.client, cuts.server, cuts.transport),
      ).toBeGreaterThan(0);
      const expectedSeqs = published.map((_, i) => i + 1);
      for (const { client, seqs, events } of clients) {
        expect(seqs).toEqual(expectedSeqs);
        expect(events).toEqual(published);
        expect(client.state).toEqual(t.bus.snapshot());
        expect(client.gapCount).toBe(0);
      }
    } finally {
      for (const { client } of clients) client.close();
      await t.close();
    }
  });
});
