import { request as httpRequest, type ClientRequest } from 'node:http';
import type { ServerResponse, Server } from 'node:http';
import type { Socket as NetSocket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Namespace } from 'socket.io';
import type { Socket as ClientSocket } from 'socket.io-client';
import { PredictionsGateway } from '../src/index.js';
import {
  serverBufferedBytes,
  stallOnOpen,
  stallTcp,
  type Stall,
} from './support/stall.js';
import { once, openSse, startApp, until, type TestApp } from './utils.js';

// A full snapshot and N clients of each kind (Socket.IO, SSE, REST) that
// stop reading before their first byte: what does the server hold for them?
// The shape is 1000 types × 64 KB (65 MB) and 4 clients of each
// kind; the default run keeps the shape at a size that fits the test time
// (LIVEBUS_HYDRATION_TYPES / _EVENT_BYTES / _CLIENTS scale it, and
// LIVEBUS_FIGURES=1 prints what was measured).
const TYPES = Number(process.env.LIVEBUS_HYDRATION_TYPES ?? 256);
const EVENT_BYTES = Number(process.env.LIVEBUS_HYDRATION_EVENT_BYTES ?? 60_000);
const CLIENTS = Number(process.env.LIVEBUS_HYDRATION_CLIENTS ?? 4);
const PRINT = process.env.LIVEBUS_FIGURES === '1';
const MB = 1024 * 1024;
// Time for the clients of this process to read and parse every snapshot
// once they read again (about 20 MB/s on a loaded 2-core machine).
const READ_MS =
  20_000 + Math.ceil((3 * CLIENTS * TYPES * EVENT_BYTES) / 20e6) * 1000;

// A full collection on demand (see backpressure.e2e-spec.ts), repeated
// until what it leaves settles: V8 frees ArrayBuffer backing stores (the
// frames) on a concurrent sweeper, so one collection may still count dead
// ones.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
interface Memory {
  /** heapUsed + external after a full GC: what the process still references. */
  retained: number;
  rss: number;
}
async function memory(): Promise<Memory> {
  let retained = Infinity;
  for (let i = 0; i < 20; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { heapUsed, external } = process.memoryUsage();
    const now = heapUsed + external;
    const settled = Math.abs(now - retained) < 256 * 1024;
    retained = now;
    if (settled) break;
  }
  return { retained, rss: process.memoryUsage().rss };
}

/** An HTTP GET whose response is not read until its stall is released. */
interface StalledGet {
  request: ClientRequest;
  stall: Promise<Stall>;
  /** How many bytes of the response body arrived so far. */
  bytes(): number;
  /** Every byte of the response body received so far. */
  received(): Buffer;
}
function stalledGet(url: string): StalledGet {
  const request = httpRequest(url);
  const stall = new Promise<Stall>((resolve) =>
    request.once('socket', (socket: NetSocket) => resolve(stallTcp(socket))),
  );
  const chunks: Buffer[] = [];
  let bytes = 0;
  request.on('response', (response) =>
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      bytes += chunk.length;
    }),
  );
  request.on('error', () => undefined);
  request.end();
  return {
    request,
    stall,
    bytes: () => bytes,
    received: () => (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)),
  };
}

interface Phase {
  kind: string;
  growth: Memory;
  /** What the server's write path holds for the stalled clients, summed. */
  buffered: number;
  /** The longest the event loop was blocked while they connected, in ms. */
  maxLoopDelayMs: number;
}

describe('hydration inside the bound: clients that stop reading before their snapshot', () => {
  let t: TestApp;
  const stalls: Stall[] = [];
  const requests: ClientRequest[] = [];
  // The stalled clients' snapshots, once they read again.
  const snapshots: { kind: string; seq: number; types: number }[] = [];
  afterEach(async () => {
    for (const stall of stalls.splice(0)) stall.release();
    for (const request of requests.splice(0)) request.destroy();
    await t.close();
  });

  it(
    `${CLIENTS} stalled clients of each kind cost one shared encoding of the snapshot, not ${CLIENTS} copies`,
    async () => {
      const snapshotMaxBytes = Math.max(16 * MB, TYPES * (EVENT_BYTES + 64));
      t = await startApp({
        worker: false,
        historyMaxEvents: 0,
        snapshotMaxBytes,
        snapshotMaxTypes: Math.max(1000, TYPES + 1),
      });
      // Warm every path once with clients that read (on a small snapshot,
      // so that nothing they received weighs on what is measured).
      t.bus.publish({ type: 'warm', n: 1 });
      const reader = t.connect();
      await once(reader, 'snapshot');
      reader.disconnect();
      const sse = await openSse(t.url + '/api/events/stream');
      await until(() => sse.messages.some((m) => m.event === 'snapshot'));
      await sse.close();
      expect((await fetch(t.url + '/api/ws/snapshot')).status).toBe(200);
      await until(() => !t.bus.hasSubscribers, 5000, 'the readers gone');

      const payload = 'x'.repeat(EVENT_BYTES - 40);
      for (let i = 0; i < TYPES; i++) {
        t.bus.publish({ type: `type${i}`, payload });
      }
      const snapshotBytes = Buffer.byteLength(t.bus.snapshotJson());
      expect(t.bus.snapshotJson()).toContain(`"type${TYPES - 1}"`);

      const server = t.app.getHttpServer() as Server;
      const responses = new Map<string, ServerResponse[]>();
      server.on('request', (req: { url?: string }, res: ServerResponse) => {
        const path = (req.url ?? '').split('?')[0];
        responses.set(path, [...(responses.get(path) ?? []), res]);
      });
      const namespace = (
        t.app.get(PredictionsGateway) as unknown as { namespace: Namespace }
      ).namespace;
      const loopDelay = monitorEventLoopDelay({ resolution: 10 });
      loopDelay.enable();
      const phases: Phase[] = [];
      let before = await memory();
      loopDelay.reset();
      const measure = async (kind: string, buffered: () => number) => {
        // Let the server write what the kernel takes; then it holds the rest.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const maxLoopDelayMs = loopDelay.max / 1e6;
        const after = await memory();
        phases.push({
          kind,
          growth: {
            retained: after.retained - before.retained,
            rss: after.rss - before.rss,
          },
          buffered: buffered(),
          maxLoopDelayMs,
        });
        before = after;
        loopDelay.reset();
      };

      // Socket.IO: stalled as soon as its Engine.IO connection is open.
      const sockets: ClientSocket[] = [];
      for (let i = 0; i < CLIENTS; i++) {
        const socket = t.connect();
        socket.once('snapshot', (events: object, meta: { seq: number }) =>
          snapshots.push({
            kind: 'socket.io',
            seq: meta.seq,
            types: Object.keys(events).length,
          }),
        );
        sockets.push(socket);
        stalls.push(await stallOnOpen(socket));
      }
      await until(() => namespace.sockets.size === CLIENTS, 10_000, 'sockets');
      await measure('socket.io', () =>
        [...namespace.sockets.keys()].reduce(
          (sum, id) => sum + serverBufferedBytes(namespace, id),
          0,
        ),
      );

      // SSE and REST: a GET whose response is not read.
      const gets = { sse: [] as StalledGet[], rest: [] as StalledGet[] };
      for (const [kind, path] of [
        ['sse', '/api/events/stream'],
        ['rest', '/api/ws/snapshot'],
      ] as const) {
        for (let i = 0; i < CLIENTS; i++) {
          const get = stalledGet(t.url + path);
          gets[kind].push(get);
          requests.push(get.request);
          stalls.push(await get.stall);
        }
        await until(
          () =>
            (responses.get(path) ?? []).filter((res) => res.headersSent)
              .length === CLIENTS,
          10_000,
          `${kind} responses`,
        );
        await measure(kind, () =>
          (responses.get(path) ?? []).reduce(
            (sum, res) => sum + res.writableLength,
            0,
          ),
        );
      }
      loopDelay.disable();

      if (PRINT) {
        const mb = (n: number) => (n >= 0 ? '+' : '') + (n / MB).toFixed(1);
        process.stderr.write(
          `hydration: snapshot ${(snapshotBytes / MB).toFixed(1)} MB (${TYPES} types × ${EVENT_BYTES} B), ${CLIENTS} stalled clients per kind` +
            '\n' +
            phases
              .map(
                (p) =>
                  `  ${p.kind}: retained ${mb(p.growth.retained)} MB, rss ${mb(p.growth.rss)} MB, server write path holds ${(p.buffered / MB).toFixed(1)} MB, event loop blocked up to ${p.maxLoopDelayMs.toFixed(0)} ms`,
              )
              .join('\n') +
            '\n',
        );
      }
      // Each kind: one shared encoding of the snapshot (about its size), and
      // per client its connection and what is in flight of it, which is that
      // same encoding. Copies per client would be CLIENTS × the snapshot.
      const bound = 1.5 * snapshotBytes + CLIENTS * 0.5 * MB;
      const over = phases
        .filter((p) => p.growth.retained >= bound)
        .map((p) => `${p.kind}: +${(p.growth.retained / MB).toFixed(1)} MB`);
      expect(over).toEqual([]);
      const rssGrowth = phases.reduce((sum, p) => sum + p.growth.rss, 0);
      expect(rssGrowth).toBeLessThan(3 * bound + 32 * MB);

      // Reading again, every client gets the whole snapshot, as of now.
      for (const stall of stalls.splice(0)) stall.release();
      const seq = t.bus.lastSeq;
      const types = TYPES + 1; // and `warm`
      await until(() => snapshots.length === CLIENTS, READ_MS, 'Socket.IO');
      await until(
        () =>
          gets.rest.every((get) => get.bytes() === snapshotBytes) &&
          gets.sse.every((get) => get.bytes() > snapshotBytes),
        READ_MS,
        'the HTTP answers',
      );
      // The SSE snapshot message: `id: <seq>`, `event: snapshot`, `data: {...}`.
      const [, sseId, sseData] =
        /^retry: \d+\n\nid: (\d+)\nevent: snapshot\ndata: (.*)\n\n/.exec(
          gets.sse[0].received().toString(),
        )!;
      const sseSnapshot = JSON.parse(sseData) as { events: object };
      snapshots.push({
        kind: 'sse',
        seq: Number(sseId),
        types: Object.keys(sseSnapshot.events).length,
      });
      snapshots.push({
        kind: 'rest',
        seq,
        types: Object.keys(JSON.parse(gets.rest[0].received().toString()))
          .length,
      });
      expect(snapshots).toEqual([
        ...Array.from({ length: CLIENTS }, () => ({
          kind: 'socket.io',
          seq,
          types,
        })),
        { kind: 'sse', seq, types },
        { kind: 'rest', seq, types },
      ]);
    },
    2 * READ_MS,
  );
});

describe('the shared snapshot frame, on every Socket.IO transport', () => {
  let t: TestApp;
  afterEach(async () => {
    await t.close();
  });

  it.each([
    ['websocket', ['websocket']],
    ['long-polling', ['polling']],
    ['long-polling upgraded to websocket', ['polling', 'websocket']],
  ])('hydrates over %s with the same snapshot', async (_name, transports) => {
    t = await startApp({ worker: false });
    // Two events of 60 KB (UTF-8): a frame past 64 KB, with a 64-bit length.
    const events = {
      small: { type: 'small', label: 'é€ and "quotes"' },
      large: { type: 'large', payload: 'ü'.repeat(30_000) },
      larger: { type: 'larger', payload: '€'.repeat(20_000) },
    };
    for (const event of Object.values(events)) t.bus.publish(event);
    const [first, second] = [0, 1].map(() =>
      t.connect('/predictions', { transports }),
    );
    const [[a, metaA], [b]] = await Promise.all([
      once<[object, { seq: number }]>(first, 'snapshot'),
      once<[object]>(second, 'snapshot'),
    ]);
    // Compared as text: a mismatch of 120 KB would print it whole.
    expect(JSON.stringify(a) === JSON.stringify(events)).toBe(true);
    expect(JSON.stringify(b) === JSON.stringify(events)).toBe(true);
    expect(metaA.seq).toBe(3);
    first.disconnect();
    second.disconnect();
    await until(() => !t.bus.hasSubscribers, 5000, 'both gone');
  });
});
