import {
  once,
  post,
  receive,
  record,
  startApp,
  type TestApp,
} from './utils.js';

describe('GET /api/ws/snapshot', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startApp({ worker: false });
  });
  afterEach(() => t.close());

  it('is {} at start', async () => {
    const response = await fetch(t.url + '/api/ws/snapshot');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('x-livebus-seq')).toBe('0');
    expect(response.headers.get('x-livebus-epoch')).toBe(t.bus.epoch);
    expect(await response.json()).toEqual({});
  });

  it('returns the latest of every type after publishes, with the seq it reflects', async () => {
    t.bus.publish({ type: 'status', state: 'idle' });
    t.bus.publish({ type: 'prediction', label: 'Build' });
    t.bus.publish({ type: 'status', state: 'collecting' });
    t.bus.publish({ type: 'tray_state', open: false });
    const response = await fetch(t.url + '/api/ws/snapshot');
    expect(response.headers.get('x-livebus-seq')).toBe('4');
    const body = await response.json();
    expect(body.status.state).toBe('collecting');
    expect(body).toEqual({
      status: { type: 'status', state: 'collecting' },
      prediction: { type: 'prediction', label: 'Build' },
      tray_state: { type: 'tray_state', open: false },
    });
  });
});

describe('POST /api/events', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = await startApp({
      worker: false,
      maxEventBytes: 1024,
      maxRequestBytes: 16 * 1024,
    });
  });
  afterEach(() => t.close());

  it('publishes one event and a connected client and the snapshot see it', async () => {
    const socket = t.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const response = await post(t.url, { type: 'prediction', label: 'Build' });
    expect(response).toEqual({
      status: 202,
      body: { accepted: 1, firstSeq: 1, lastSeq: 1 },
    });
    const [message] = await receive(
      received,
      1,
      (m) => m.name === 'prediction',
    );
    expect(message.event).toEqual({ type: 'prediction', label: 'Build' });
    expect(t.bus.snapshot()).toEqual({
      prediction: { type: 'prediction', label: 'Build' },
    });
  });

  it('publishes an array in order', async () => {
    const socket = t.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    const events = [
      { type: 'a', i: 0 },
      { type: 'b', i: 1 },
      { type: 'a', i: 2 },
    ];
    const response = await post(t.url, events);
    expect(response.body).toEqual({ accepted: 3, firstSeq: 1, lastSeq: 3 });
    const got = await receive(received, 3, (m) => m.name !== 'snapshot');
    expect(got.map((m) => m.event)).toEqual(events);
  });

  const badRequests: [string, unknown, string | undefined, RegExp][] = [
    [
      'an event with no type',
      { label: 'x' },
      undefined,
      // Once read `got undefined undefined`.
      /^event\.type: must be a non-empty string, got nothing$/,
    ],
    [
      'a reserved type',
      { type: 'snapshot' },
      undefined,
      /^event\.type: "snapshot" is reserved/,
    ],
    [
      'a string in the array',
      ['hello'],
      undefined,
      /^events\[0\]: must be a JSON object/,
    ],
    ['an empty array', [], undefined, /empty array/],
    [
      'a bad event inside an array',
      [{ type: 'ok' }, { type: 'ok' }, { type: 3 }],
      undefined,
      /^events\[2\]\.type/,
    ],
  ];
  it.each(badRequests)(
    'answers 400 naming the problem for %s, and publishes nothing',
    async (_, body, contentType, message) => {
      const response = await post(t.url, body, {
        contentType,
        raw: contentType ? 'type=x' : undefined,
      });
      expect(response.status).toBe(400);
      expect(String(response.body.message)).toMatch(message);
      expect(t.bus.lastSeq).toBe(0);
    },
  );

  it('answers 415 for a body that is not JSON, naming what is accepted, and publishes nothing', async () => {
    const response = await post(t.url, undefined, {
      contentType: 'text/plain',
      raw: 'type=x',
    });
    expect(response.status).toBe(415);
    expect(String(response.body.message)).toMatch(
      /send Content-Type application\/json or application\/\*\+json/,
    );
    expect(t.bus.lastSeq).toBe(0);
  });

  it('answers 400 for malformed JSON', async () => {
    const response = await post(t.url, undefined, { raw: '{"type": "x",' });
    expect(response.status).toBe(400);
  });

  it('answers 413 for an event over maxEventBytes, naming the limit', async () => {
    const response = await post(t.url, [
      { type: 'ok' },
      { type: 'big', text: 'x'.repeat(2000) },
    ]);
    expect(response.status).toBe(413);
    expect(response.body.field).toBe('events[1]');
    expect(String(response.body.message)).toMatch(
      /over the limit of 1024 bytes \(option maxEventBytes\)/,
    );
    expect(t.bus.lastSeq).toBe(0);
  });

  it('answers 413 for a body over maxRequestBytes', async () => {
    const events = Array.from({ length: 400 }, (_, i) => ({
      type: 'e',
      i,
      pad: 'x'.repeat(40),
    }));
    const response = await post(t.url, events);
    expect(response.status).toBe(413);
    expect(String(response.body.message)).toMatch(/maxRequestBytes/);
    expect(t.bus.lastSeq).toBe(0);
  });

  it('loses nothing already accepted and keeps serving after bad input (counted)', async () => {
    const socket = t.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    await post(t.url, { type: 'first' });
    await post(t.url, [{ type: 'second' }, { bad: true }]);
    await post(t.url, { type: 'third' });
    const got = await receive(received, 2, (m) => m.name !== 'snapshot');
    expect(got.map((m) => m.name)).toEqual(['first', 'third']);
    expect(t.bus.stats()).toMatchObject({ published: 2, rejected: 1 });
    expect(t.bus.snapshot()).toEqual({
      first: { type: 'first' },
      third: { type: 'third' },
    });
  });
});

describe('route options', () => {
  it('serves the snapshot and ingest on configured paths, or no ingest at all', async () => {
    const t = await startApp({
      worker: false,
      snapshotPath: 'live/state',
      ingest: false,
    });
    try {
      expect((await fetch(t.url + '/live/state')).status).toBe(200);
      expect((await post(t.url, { type: 'x' })).status).toBe(404);
    } finally {
      await t.close();
    }
    const moved = await startApp({ ingest: { path: '/push/events' } });
    try {
      expect((await post(moved.url, { type: 'x' })).status).toBe(404);
      expect(
        (await post(moved.url, { type: 'x' }, { path: '/push/events' })).status,
      ).toBe(202);
    } finally {
      await moved.close();
    }
  });
});
