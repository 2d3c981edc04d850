import {
  openSse,
  startApp,
  until,
  type SseReader,
  type TestApp,
} from './utils.js';

const events = (reader: SseReader) => reader.messages.filter((m) => m.event);

describe('GET /api/events/stream (Server-Sent Events, plain HTTP client)', () => {
  let t: TestApp;
  const readers: SseReader[] = [];
  const open = async (query = '', headers: Record<string, string> = {}) => {
    const reader = await openSse(`${t.url}/api/events/stream${query}`, headers);
    readers.push(reader);
    return reader;
  };

  beforeEach(async () => {
    t = await startApp({
      worker: false,
      sseKeepAliveMs: 100,
      historyMaxEvents: 50,
    });
  });
  afterEach(async () => {
    await Promise.all(readers.splice(0).map((r) => r.close()));
    await t.close();
  });

  it('sends the snapshot, then each event with id = seq and event = type', async () => {
    await t.bus.publish({ type: 'status', state: 'idle' });
    const sse = await open();
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    await until(() => events(sse).length === 1, 5000, 'snapshot');
    const [snapshot] = events(sse);
    expect(snapshot.event).toBe('snapshot');
    expect(snapshot.id).toBe('1');
    expect(JSON.parse(snapshot.data!)).toEqual({
      events: { status: { type: 'status', state: 'idle' } },
      seq: 1,
      epoch: t.bus.epoch,
      reset: false,
      types: null,
    });
    await t.bus.publish({ type: 'prediction', label: 'Build' });
    await t.bus.publish({ type: 'status', state: 'collecting' });
    await until(() => events(sse).length === 3, 5000, 'two events');
    expect(events(sse).slice(1)).toEqual([
      {
        id: '2',
        event: 'prediction',
        data: '{"type":"prediction","label":"Build"}',
      },
      {
        id: '3',
        event: 'status',
        data: '{"type":"status","state":"collecting"}',
      },
    ]);
  });

  it('resumes from Last-Event-ID with exactly the missed events, then live', async () => {
    const first = await open();
    for (let n = 1; n <= 5; n++) await t.bus.publish({ type: 'tick', n });
    await until(() => events(first).length === 6, 5000, 'five ticks');
    await first.close();
    await until(
      () => !t.bus.hasSubscribers,
      5000,
      'the server saw the client leave',
    );
    for (let n = 6; n <= 10; n++) await t.bus.publish({ type: 'tick', n });
    const second = await open('', { 'Last-Event-ID': '5' });
    await until(() => events(second).length === 6, 5000, 'resumed + five');
    await t.bus.publish({ type: 'tick', n: 11 });
    await until(() => events(second).length === 7, 5000, 'live');
    const [resumed, ...rest] = events(second);
    expect(resumed.event).toBe('resumed');
    expect(JSON.parse(resumed.data!)).toEqual({
      epoch: t.bus.epoch,
      fromSeq: 6,
      toSeq: 10,
      replayed: 5,
    });
    expect(rest.map((m) => Number(m.id))).toEqual([6, 7, 8, 9, 10, 11]);
  });

  it('resets with a snapshot when Last-Event-ID is older than the history, or from another epoch', async () => {
    for (let n = 1; n <= 60; n++) await t.bus.publish({ type: 'tick', n });
    const old = await open('', { 'Last-Event-ID': '3' });
    const otherEpoch = await open('?epoch=not-this-one&lastEventId=60');
    for (const sse of [old, otherEpoch]) {
      await until(() => events(sse).length === 1, 5000, 'snapshot');
      const [snapshot] = events(sse);
      expect(snapshot.event).toBe('snapshot');
      expect(JSON.parse(snapshot.data!)).toMatchObject({
        seq: 60,
        reset: true,
      });
    }
  });

  it('carries the epoch in a cookie, so a Last-Event-ID from another epoch resets instead of replaying', async () => {
    for (let n = 1; n <= 5; n++) await t.bus.publish({ type: 'tick', n });
    const first = await open();
    const cookie = first.headers.get('set-cookie');
    expect(cookie).toBe(
      `livebus_epoch=${t.bus.epoch}; Path=/api/events/stream; HttpOnly; SameSite=Lax`,
    );
    // What EventSource sends when it reconnects: Last-Event-ID and the cookie.
    const sameEpoch = await open('', {
      'Last-Event-ID': '3',
      Cookie: cookie!.split(';')[0],
    });
    const restartedServer = await open('', {
      'Last-Event-ID': '3',
      Cookie: 'livebus_epoch=an-epoch-before-a-restart',
    });
    await until(() => events(sameEpoch).length === 3, 5000, 'replay');
    expect(events(sameEpoch).map((m) => m.event)).toEqual([
      'resumed',
      'tick',
      'tick',
    ]);
    await until(() => events(restartedServer).length === 1, 5000, 'reset');
    expect(JSON.parse(events(restartedServer)[0].data!)).toMatchObject({
      seq: 5,
      reset: true,
    });
  });

  it('filters snapshot, replay and live stream by ?types=', async () => {
    await t.bus.publish({ type: 'a', n: 1 });
    await t.bus.publish({ type: 'b', n: 2 });
    const sse = await open('?types=a');
    await until(() => events(sse).length === 1, 5000, 'snapshot');
    expect(JSON.parse(events(sse)[0].data!).events).toEqual({
      a: { type: 'a', n: 1 },
    });
    await t.bus.publish({ type: 'b', n: 3 });
    await t.bus.publish({ type: 'a', n: 4 });
    await until(() => events(sse).length === 2, 5000, 'one a');
    expect(events(sse)[1]).toMatchObject({ id: '4', event: 'a' });
    const resumed = await open('?types=b', { 'Last-Event-ID': '1' });
    await until(() => events(resumed).length === 3, 5000, 'resumed + two b');
    expect(
      events(resumed)
        .slice(1)
        .map((m) => m.id),
    ).toEqual(['2', '3']);
  });

  it('sends a keep-alive comment on an idle stream', async () => {
    const sse = await open();
    await until(
      () => sse.messages.some((m) => m.comment === 'keep-alive'),
      5000,
      'keep-alive',
    );
  });

  it('answers 400 for a malformed Last-Event-ID', async () => {
    const response = await fetch(`${t.url}/api/events/stream`, {
      headers: { 'Last-Event-ID': 'abc' },
    });
    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(
      /^lastSeq: must be a non-negative integer/,
    );
  });
});
