import {
  checkWorkerMessage,
  cleanLogLine,
  encodedEventProblem,
} from './worker-message-check.js';

const limits = { maxEventBytes: 1024, maxBatch: 4 };
const encoded = (event: { type: string; [field: string]: unknown }) => ({
  type: event.type,
  json: JSON.stringify(event),
});

describe('checkWorkerMessage', () => {
  it('takes a message with its own type for an event, whatever its kind', () => {
    const event = { type: 'a', kind: 'livebus:batch', events: [] };
    expect(checkWorkerMessage(event, limits)).toEqual({ kind: 'event', event });
    for (const value of [null, 'text', 42, [], { kind: 'other' }]) {
      expect(checkWorkerMessage(value, limits)).toEqual({
        kind: 'event',
        event: value,
      });
    }
  });

  it('refuses an unknown livebus: kind, quoting a short prefix of it', () => {
    const checked = checkWorkerMessage(
      { kind: 'livebus:' + 'x'.repeat(500) },
      limits,
    );
    expect(checked).toMatchObject({ kind: 'malformed', batch: false });
    expect(checked.kind === 'malformed' && checked.problem.length).toBeLessThan(
      100,
    );
  });

  it('checks the ids of a batch: one per event, each null or a valid idempotency id', () => {
    const a = encoded({ type: 'a', n: 1 });
    const b = encoded({ type: 'b', n: 2 });
    expect(
      checkWorkerMessage(
        {
          kind: 'livebus:batch',
          events: [a, b],
          ids: ['order-1', null],
          dropped: 0,
        },
        limits,
      ),
    ).toEqual({
      kind: 'livebus:batch',
      events: [{ ...a, id: 'order-1' }, b],
      dropped: 0,
    });
    // A bad id refuses its event only, naming it; the others go on.
    const checked = checkWorkerMessage(
      {
        kind: 'livebus:batch',
        events: [a, b],
        ids: ['with space', 'ok-2'],
        dropped: 0,
      },
      limits,
    );
    expect(checked).toMatchObject({
      kind: 'livebus:batch',
      events: [
        expect.stringMatching(/^ids\[0\]: must be visible ASCII/),
        { ...b, id: 'ok-2' },
      ],
    });
    for (const id of [42, '', 'x'.repeat(201), {}]) {
      const one = checkWorkerMessage(
        { kind: 'livebus:batch', events: [a], ids: [id], dropped: 0 },
        limits,
      );
      expect(one.kind === 'livebus:batch' && one.events[0]).toEqual(
        expect.stringMatching(/^ids\[0\]: /),
      );
    }
    // ids that are not one entry per event refuse the batch whole.
    for (const ids of [
      'order-1',
      [null],
      [null, null, null],
      { 0: 'x' },
      null,
    ]) {
      expect(
        checkWorkerMessage(
          { kind: 'livebus:batch', events: [a, b], ids, dropped: 0 },
          limits,
        ),
      ).toMatchObject({ kind: 'malformed', batch: true });
    }
  });

  it('checks every field of a batch', () => {
    const good = encoded({ type: 'a', n: 1 });
    expect(
      checkWorkerMessage(
        { kind: 'livebus:batch', events: [good], dropped: 3 },
        limits,
      ),
    ).toEqual({ kind: 'livebus:batch', events: [good], dropped: 3 });
    for (const [events, dropped, problem] of [
      ['x', 0, /events must be an array/],
      [{ length: 1, 0: good }, 0, /events must be an array/],
      [[good, good, good, good, good], 0, /at most 4 events, got 5/],
      [[good], 'abc', /dropped must be a non-negative integer, got "abc"/],
      [[good], -1, /got -1/],
      [[good], 1.5, /got 1.5/],
      [[good], 2 ** 53, /non-negative integer/],
      [[good], undefined, /got undefined/],
    ] as const) {
      const checked = checkWorkerMessage(
        { kind: 'livebus:batch', events, dropped },
        limits,
      );
      expect(checked).toMatchObject({ kind: 'malformed', batch: true });
      expect(checked.kind === 'malformed' && checked.problem).toMatch(problem);
    }
  });

  it('refuses bad events of a batch one by one, naming the index', () => {
    const checked = checkWorkerMessage(
      {
        kind: 'livebus:batch',
        events: [encoded({ type: 'a' }), { type: 'b', json: '{"a":1}]}' }],
        dropped: 0,
      },
      limits,
    );
    expect(checked).toMatchObject({
      kind: 'livebus:batch',
      events: [
        encoded({ type: 'a' }),
        expect.stringMatching(/^events\[1\]: json is not valid JSON/),
      ],
    });
  });

  it('checks log lines and cleans them', () => {
    expect(
      checkWorkerMessage(
        { kind: 'livebus:log', level: 'warn', message: 'a\nb' },
        limits,
      ),
    ).toEqual({ kind: 'livebus:log', level: 'warn', message: 'a b' });
    expect(
      checkWorkerMessage(
        { kind: 'livebus:log', level: 'x', message: '' },
        limits,
      ),
    ).toMatchObject({ kind: 'malformed' });
    expect(
      checkWorkerMessage({ kind: 'livebus:log', level: 'info' }, limits),
    ).toMatchObject({ kind: 'malformed' });
  });

  it('passes ready and heartbeat', () => {
    expect(checkWorkerMessage({ kind: 'livebus:ready' }, limits)).toEqual({
      kind: 'livebus:ready',
    });
    expect(checkWorkerMessage({ kind: 'livebus:heartbeat' }, limits)).toEqual({
      kind: 'livebus:heartbeat',
    });
  });
});

describe('encodedEventProblem', () => {
  const problem = (value: unknown): unknown =>
    encodedEventProblem(value, limits.maxEventBytes);

  it('re-verifies the JSON: a plain object whose type is the given type', () => {
    expect(problem(encoded({ type: 'a', v: [1, { b: null }] }))).toEqual(
      encoded({ type: 'a', v: [1, { b: null }] }),
    );
    expect(problem({ type: 'a', json: '{"a":1}]}' })).toMatch(/not valid JSON/);
    expect(problem({ type: 'a', json: '[{"type":"a"}]' })).toMatch(
      /must encode a JSON object/,
    );
    expect(problem({ type: 'a', json: '"{}"' })).toMatch(/JSON object/);
    expect(problem({ type: 'a', json: '{"type":"b"}' })).toMatch(
      /json's type is not "a"/,
    );
    expect(problem({ type: 'a', json: '{}' })).toMatch(/type is not/);
    expect(problem({ type: 'a', json: 42 })).toMatch(/json must be a string/);
    expect(problem(null)).toMatch(/\{ type, json \}/);
  });

  it('applies the one type rule and the size limit', () => {
    expect(problem({ type: 'a b', json: '{"type":"a b"}' })).toMatch(
      /^type .* is not a type name/,
    );
    expect(problem({ type: 'constructor', json: '{}' })).toMatch(
      /Object.prototype/,
    );
    expect(problem(encoded({ type: 'a', pad: 'é'.repeat(600) }))).toMatch(
      /bytes, over maxEventBytes \(1024\)/,
    );
  });

  it('refuses JSON nested deeper than 64 levels, counting only outside strings', () => {
    const nested = (depth: number): string =>
      `{"type":"a","v":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    expect(problem({ type: 'a', json: nested(64) })).toEqual({
      type: 'a',
      json: nested(64),
    });
    expect(problem({ type: 'a', json: nested(65) })).toMatch(/deeper than 64/);
    const brackets = JSON.stringify({ type: 'a', s: '[[[[\\"'.repeat(40) });
    expect(problem({ type: 'a', json: brackets })).toEqual({
      type: 'a',
      json: brackets,
    });
  });

  it('re-encodes JSON with raw line breaks so none reaches a wire', () => {
    expect(
      problem({ type: 'a', json: '{"type":"a",\r\n"x":"\\n"}\n' }),
    ).toEqual({ type: 'a', json: '{"type":"a","x":"\\n"}' });
  });
});

describe('cleanLogLine', () => {
  it('cuts a long line and replaces control characters', () => {
    expect(cleanLogLine('a\u0000b\u001b[31mc\u2028d')).toBe('a b [31mc d');
    const long = cleanLogLine('x'.repeat(5000));
    expect(long).toMatch(/… \(5000 characters\)$/);
    expect(long.length).toBeLessThan(1100);
  });
});
