import {
  openSse,
  post,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

// Issue 13 (ingest parses and encodes once): an array body's events are
// published as the JSON text they were sent in. What clients, the
// snapshot and a resumed replay see must still be the events as parsed.

describe('ingest publishes each event of an array as the JSON it was sent in', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ worker: false });
  });

  afterAll(async () => {
    await t.close();
  });

  it('delivers the parsed events to Socket.IO, and the snapshot alike', async () => {
    const socket = t.connect();
    const received = record(socket);
    await until(() => received.some((m) => m.name === 'snapshot'));
    // Compact elements with escapes, number forms and brackets in strings,
    // and one pretty-printed element (stringified instead).
    const raw =
      '[{"type":"raw","s":"a,]}[{\\"\\\\\\u0041é😀","n":1.50,"e":1E2,"z":null},' +
      '{\n  "type": "spaced",\n  "list": [1, 2]\n},' +
      '{"type":"raw","nested":[[],{"k":[{}]}],"t":true}]';
    const expected = JSON.parse(raw) as { type: string }[];
    const response = await post(t.url, null, { raw });
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 3 });
    const events = await receive(received, 3, (m) => m.name !== 'snapshot');
    expect(events.map((m) => m.event)).toEqual(expected);
    expect(events.map((m) => m.name)).toEqual(['raw', 'spaced', 'raw']);
    expect(t.bus.snapshot()).toMatchObject({
      raw: expected[2],
      spaced: expected[1],
    });
    const snapshot = (await (
      await fetch(`${t.url}/api/ws/snapshot`)
    ).json()) as Record<string, unknown>;
    expect(snapshot.raw).toEqual(expected[2]);
  });

  it('still names a bad element and publishes none of the request', async () => {
    const before = t.bus.lastSeq;
    const response = await post(t.url, null, {
      raw: '[{"type":"ok"},{"type":"bad","n":1e999}]',
    });
    expect(response.status).toBe(400);
    expect(String(response.body.message)).toContain('events[1].n');
    expect(t.bus.lastSeq).toBe(before);
  });
  it('sends an element that names a key twice as the value validated, not as the text sent', async () => {
    const sse = await openSse(`${t.url}/api/events/stream?types=dup`);
    try {
      await until(() => sse.messages.some((m) => m.event === 'snapshot'));
      // JSON.parse keeps the last `type`: that one was validated (and the
      // publish allowed); a parser keeping the first would read the other.
      const raw = '[{"type":"livebus:gap","note":"first","type":"dup"}]';
      const response = await post(t.url, null, { raw });
      expect(response.status).toBe(202);
      await until(() => sse.messages.some((m) => m.event === 'dup'));
      const sent = sse.messages.find((m) => m.event === 'dup')!;
      expect(sent.data).toBe(JSON.stringify(JSON.parse(raw)[0]));
    } finally {
      await sse.close();
    }
  });
});
