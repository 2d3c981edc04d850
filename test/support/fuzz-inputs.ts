import fc from 'fast-check';
import { isEventType } from '../../src/protocol/event-types.js';

// What the fuzz test sends (generators) and what it expects the server to
// answer (a model of the documented rules, written from the README's
// Limits, not from the code): ingest bodies, Socket.IO handshakes, SSE
// queries and `subscribe` messages.

export const LIMITS = {
  maxRequestBytes: 64 * 1024,
  maxFilterTypes: 256,
  maxHandshakeBytes: 32 * 1024,
  maxDepth: 64,
};

const PROTOTYPE_NAMES = Object.getOwnPropertyNames(Object.prototype);
const RESERVED = [
  'snapshot',
  'gap',
  'resumed',
  'connect',
  'disconnect',
  'livebus:close',
];

/** Types: names, and everything a name must not be. */
export const typeArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.stringMatching(/^[A-Za-z][A-Za-z0-9_.:/-]{0,20}$/),
  },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_NAMES, ...RESERVED) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'a\nid: 9\n\nevent: snapshot',
      'b\rretry: 1\r',
      'x'.repeat(101),
      '',
      ' a',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.oneof(
      fc.integer(),
      fc.constant(null),
      fc.array(fc.string(), { maxLength: 2 }),
    ),
  },
);

/** Nesting of 0 to 80 levels (an event may have 64). */
const nestedArb = fc.integer({ min: 0, max: 80 }).map((depth) => {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = i % 2 ? [value] : { k: value };
  return value;
});

/** Event-shaped values: mostly objects with a type, some not. */
const eventArb: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc
      .tuple(
        typeArb,
        fc.dictionary(
          fc.string({ maxLength: 8 }),
          fc.jsonValue({ maxDepth: 3 }),
          { maxKeys: 4 },
        ),
        fc.option(fc.integer({ min: 0, max: 60_000 }), { freq: 5 }),
        fc.option(nestedArb, { freq: 6 }),
      )
      .map(([type, fields, pad, nested]) => ({
        ...fields,
        type,
        ...(pad === null ? {} : { pad: 'p'.repeat(pad) }),
        ...(nested === null ? {} : { nested }),
      })),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

export const JSON_CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/cloudevents+json',
];

/** One ingest request: a body, its content type, chunked or not, maybe compressed. */
export const ingestArb = fc.record({
  body: fc.oneof(
    { weight: 5, arbitrary: eventArb.map((event) => JSON.stringify(event)) },
    {
      weight: 4,
      arbitrary: fc
        .array(eventArb, { maxLength: 12 })
        .map((events) => JSON.stringify(events)),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        '',
        ' ',
        '{',
        '[]',
        'null',
        '{"type":"x"}}',
        '\u0000',
        '[[[[[[[[',
      ),
    },
  ),
  contentType: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...JSON_CONTENT_TYPES) },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        'application/json; charset=latin1',
        'text/plain',
        'application/x-www-form-urlencoded',
        '',
      ),
    },
  ),
  chunked: fc.boolean(),
  encoding: fc.constantFrom(null, null, null, 'gzip', 'compress'),
});
export type IngestInput =
  typeof ingestArb extends fc.Arbitrary<infer T> ? T : never;

const typesFieldArb = fc.oneof(
  fc.array(typeArb, { maxLength: 6 }),
  fc.array(fc.stringMatching(/^[a-z]{1,6}$/), {
    minLength: 250,
    maxLength: 270,
  }),
  fc
    .array(typeArb, { maxLength: 3 })
    .map((types) => types.map(String).join(',')),
  fc.jsonValue({ maxDepth: 2 }),
);
const seqFieldArb = fc.oneof(
  fc.integer({ min: -5, max: 1000 }),
  fc.constantFrom(
    '0x10',
    '1e3',
    '12',
    '',
    ' 7',
    '9'.repeat(40),
    'z'.repeat(5000),
  ),
  fc.double(),
  fc.jsonValue({ maxDepth: 1 }),
);

/** A handshake's `auth` and query (`epoch: 'current'` stands for the server's). */
export const handshakeArb = fc.record({
  auth: fc.oneof(
    fc.record(
      {
        types: typesFieldArb,
        lastSeq: seqFieldArb,
        epoch: fc.oneof(fc.string(), fc.constant('current')),
        pad: fc.integer({ min: 0, max: 40_000 }).map((n) => 'x'.repeat(n)),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 }), {
      maxKeys: 5,
    }),
    nestedArb.map((nested) => ({ types: nested })),
  ),
  query: fc.dictionary(
    fc.constantFrom('types', 'lastSeq', 'epoch', 'other'),
    fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.stringMatching(/^[a-z]{1,5}(,[a-z]{1,5}){0,5}$/),
    ),
    { maxKeys: 3 },
  ),
});
export type HandshakeInput =
  typeof handshakeArb extends fc.Arbitrary<infer T> ? T : never;

export const sseArb = fc.record({
  types: fc.option(typesFieldArb.map(String)),
  lastEventId: fc.option(seqFieldArb.map(String)),
});
export type SseInput = typeof sseArb extends fc.Arbitrary<infer T> ? T : never;

export const subscribeArb = fc.oneof(
  fc.record({ types: typesFieldArb }),
  fc.record({ types: fc.constant(null) }),
  fc.jsonValue({ maxDepth: 3 }),
  fc
    .integer({ min: 0, max: 40_000 })
    .map((n) => ({ types: ['a'], pad: 'x'.repeat(n) })),
);

/** The status the README's rules give an ingest request. */
export function expectedIngestStatus(input: IngestInput): number {
  if (!JSON_CONTENT_TYPES.includes(input.contentType)) return 415;
  if (input.encoding === 'compress') return 415;
  if (Buffer.byteLength(input.body) > LIMITS.maxRequestBytes) return 413;
  let parsed: unknown;
  try {
    parsed = JSON.parse(input.body);
  } catch {
    return 400;
  }
  const events = Array.isArray(parsed) ? parsed : [parsed];
  if (events.length === 0) return 400;
  const valid = events.every(
    (event) =>
      typeof event === 'object' &&
      event !== null &&
      !Array.isArray(event) &&
      isEventType((event as { type?: unknown }).type) &&
      containerDepth(event) < LIMITS.maxDepth,
  );
  return valid ? 202 : 400;
}

/** Whether the rules refuse (or accept) a handshake; 'either' near the size limit. */
export function handshakeVerdict(
  auth: object,
  query: Record<string, string>,
): 'accept' | 'refuse' | 'either' {
  // What the server sees: auth as JSON, and a few query keys of Socket.IO's own.
  const seen = JSON.parse(JSON.stringify(auth)) as Record<string, unknown>;
  const size = Buffer.byteLength(JSON.stringify([seen, query]));
  if (size > LIMITS.maxHandshakeBytes + 200) return 'refuse';
  if (size > LIMITS.maxHandshakeBytes - 200) return 'either';
  const pick = (name: string): unknown =>
    Object.hasOwn(seen, name) ? seen[name] : query[name];
  if (!typesOk(pick('types'))) return 'refuse';
  const lastSeq = pick('lastSeq');
  if (lastSeq === undefined || lastSeq === null || lastSeq === '')
    return 'accept';
  const epoch = pick('epoch');
  return seqOk(lastSeq) && typeof epoch === 'string' && epoch !== ''
    ? 'accept'
    : 'refuse';
}

/** Whether the rules accept a `subscribe` message. */
export function subscribeAccepted(body: unknown): boolean | 'either' {
  const size = Buffer.byteLength(JSON.stringify(body) ?? '');
  if (size > LIMITS.maxHandshakeBytes + 50) return false;
  if (size > LIMITS.maxHandshakeBytes - 50) return 'either';
  if (
    typeof body !== 'object' ||
    body === null ||
    !Object.hasOwn(body, 'types')
  ) {
    return true;
  }
  return typesOk((body as { types: unknown }).types);
}

/** Whether the rules accept an SSE query. */
export function sseAccepted(input: SseInput): boolean {
  const seq = input.lastEventId;
  return (
    typesOk(input.types ?? undefined) &&
    (seq === null || seq === '' || seqOk(seq))
  );
}

function typesOk(types: unknown): boolean {
  if (types === undefined || types === null || types === '') return true;
  const list: unknown = typeof types === 'string' ? types.split(',') : types;
  return (
    Array.isArray(list) &&
    list.length <= LIMITS.maxFilterTypes &&
    list.every((type) => isEventType(type))
  );
}

function seqOk(seq: unknown): boolean {
  if (typeof seq === 'number') return Number.isSafeInteger(seq) && seq >= 0;
  return (
    typeof seq === 'string' &&
    /^[0-9]{1,16}$/.test(seq) &&
    Number.isSafeInteger(Number(seq))
  );
}

/** How deep the deepest object or array inside `value` sits (`value` is 0). */
function containerDepth(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}
