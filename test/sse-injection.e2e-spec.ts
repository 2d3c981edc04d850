import type { TransportSink } from '../src/index.js';
import { MemoryTransport } from '../src/transports/memory.transport.js';
import { openBrowserSse } from './support/sse-parser.js';
import { post, startApp, until, type TestApp } from './utils.js';

// Finding 1 of issue 9: the SSE writer must never let a type or a JSON text
// split its frame. Publish, ingest and worker refuse such types, so these
// reach the writer the only way left: a transport that delivers what its
// backend holds (an app's own transport, a foreign Redis entry) without
// checking it. The writer escapes defensively anyway.

/** The memory transport, with its sink in reach of the test. */
class OpenTransport extends MemoryTransport {
  open: TransportSink | null = null;
  override async start(sink: TransportSink): Promise<void> {
    this.open = sink;
    await super.start(sink);
  }
}

describe('the SSE writer (finding 1: message injection)', () => {
  let t: TestApp;
  let transport: OpenTransport;

  beforeEach(async () => {
    transport = new OpenTransport();
    t = await startApp({ worker: false, transport });
  });

  afterEach(async () => {
    await t.close();
  });

  it('never lets a type or a JSON text with CR or LF forge a frame', async () => {
    const sse = await openBrowserSse(t.url + '/api/events/stream');
    try {
      await until(() => sse.messages.length === 1, 5000, 'the snapshot');
      const sink = transport.open!;
      const forged = [
        'a\nid: 999999\nevent: snapshot\ndata: {"events":{"x":{"type":"x"}}}\n\nevent: x',
        'b\rretry: 99999999\r',
        'c\r\nid: 999998\r\n\r\nevent: snapshot',
      ];
      for (const type of forged) sink.sequence({ type, json: '{"type":"t"}' });
      // A worker's pre-encoded JSON with raw line breaks (whitespace to
      // JSON, line ends to SSE), and one that is not JSON at all.
      sink.sequence({ type: 'm', json: '{"type":"m",\n"n":1\r\n}' });
      sink.sequence({
        type: 'm',
        json: '{"type":"m"}\n\nid: 999997\nevent: snapshot\ndata: {}\n\n',
      });
      expect((await post(t.url, { type: 'marker' })).status).toBe(202);
      await until(
        () => sse.messages.some((m) => m.event === 'marker'),
        5000,
        'the marker',
      );
      const events = sse.messages.map((m) => m.event);
      // One message per delivered event, and only the first is a snapshot.
      expect(events.filter((e) => e === 'snapshot')).toHaveLength(1);
      expect(events).toHaveLength(1 + forged.length + 2 + 1);
      expect(sse.retries).toEqual([2000]);
      expect(sse.messages.map((m) => m.lastEventId)).toEqual([
        '0',
        '1',
        '2',
        '3',
        '4',
        '5',
        '6',
      ]);
      // The JSON with line breaks arrives as the same JSON.
      expect(JSON.parse(sse.messages[4].data)).toEqual({ type: 'm', n: 1 });
    } finally {
      await sse.close();
    }
  });
});
