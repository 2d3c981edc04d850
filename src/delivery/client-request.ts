import {
  describeValue,
  eventTypeProblem,
  quotePrefix,
} from '../protocol/event-types.js';

/** What a client may ask for when it connects (or reconnects). */
export interface ClientRequest {
  /** Resume after this point of the stream, instead of a fresh snapshot. */
  readonly resume: { readonly epoch: string; readonly lastSeq: number } | null;
  /** Only these types (snapshot, replay and live); `null` for all. */
  readonly types: ReadonlySet<string> | null;
}

/** The stable code of a client request the server refuses as malformed. */
export const BAD_REQUEST_CODE = 'bad_request';

/**
 * Thrown for a client request the server cannot honour: a Socket.IO
 * handshake (the client gets it as `connect_error`, with `data.code`), a
 * `subscribe` message (its ack answers `{ error, code }`), an SSE query
 * (`400`). Not an `InvalidEventError`: no event was refused, and
 * the bus does not count it as one.
 */
export class ClientRequestError extends Error {
  override readonly name = 'ClientRequestError';
  /** Stable, for programs: what kind of refusal this is. */
  readonly code = BAD_REQUEST_CODE;
  /** What Socket.IO sends beside the message in `connect_error`. */
  readonly data: { readonly code: typeof BAD_REQUEST_CODE };

  constructor(
    /** The request field at fault, e.g. `lastSeq`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.data = { code: this.code };
  }
}

/** Bounds of a client request: a handshake, an SSE query, a `subscribe` message. */
export interface ClientRequestLimits {
  /** Most types in a filter (option `maxFilterTypes`). */
  readonly maxFilterTypes: number;
  /**
   * Most bytes of a Socket.IO handshake's `auth` and query together, and of
   * one `subscribe` message, as JSON (option `maxHandshakeBytes`).
   */
  readonly maxHandshakeBytes: number;
}

/**
 * The module's defaults: a filter of 256 types of the longest name (100
 * characters) fits in a 32 KiB handshake with room for a token.
 */
export const CLIENT_REQUEST_DEFAULTS: ClientRequestLimits = {
  maxFilterTypes: 256,
  maxHandshakeBytes: 32 * 1024,
};

/**
 * Reads `lastSeq`, `epoch` and `types` from the Socket.IO handshake's `auth`
 * object (preferred) or query string (`?lastSeq=12&epoch=…&types=a,b`).
 * Refuses a handshake over `maxHandshakeBytes` before reading anything of it.
 */
export function parseClientRequest(
  auth: unknown,
  query: unknown,
  limits: ClientRequestLimits,
): ClientRequest {
  if (jsonBytesOver([auth, query], limits.maxHandshakeBytes)) {
    throw new ClientRequestError(
      'handshake',
      `its auth and query are over the limit of ${limits.maxHandshakeBytes} bytes (option maxHandshakeBytes); send a shorter type filter`,
    );
  }
  const field = (name: string): unknown =>
    own(auth, name) !== undefined ? own(auth, name) : own(query, name);
  const types = parseTypes(field('types'), 'types', limits);
  const lastSeq = field('lastSeq');
  const epoch = field('epoch');
  if (lastSeq === undefined || lastSeq === null || lastSeq === '') {
    return { resume: null, types };
  }
  const seq = parseSeq(lastSeq);
  if (typeof epoch !== 'string' || epoch.length === 0) {
    throw new ClientRequestError(
      'epoch',
      'is required with lastSeq: send the epoch of the snapshot message the seq belongs to',
    );
  }
  return { resume: { epoch, lastSeq: seq }, types };
}

/**
 * Reads a `subscribe` message's type filter: `undefined` when the message
 * keeps the filter (no `types`), else what {@link parseTypes} reads.
 */
export function parseSubscribeTypes(
  body: unknown,
  limits: ClientRequestLimits,
): ReadonlySet<string> | null | undefined {
  if (jsonBytesOver(body, limits.maxHandshakeBytes)) {
    throw new ClientRequestError(
      'subscribe',
      `the message is over the limit of ${limits.maxHandshakeBytes} bytes (option maxHandshakeBytes); send a shorter type filter`,
    );
  }
  const types = own(body, 'types');
  return types === undefined ? undefined : parseTypes(types, 'types', limits);
}

const STRUCTURE =
  'must be an array of non-empty type names (or a comma-separated string)';

/**
 * Parses a type filter: an array of type names, a comma-separated string,
 * or nothing (all). At most `maxFilterTypes` of them, each a name by the
 * one rule of every entry point (`eventTypeProblem`).
 */
export function parseTypes(
  value: unknown,
  path: string,
  limits: ClientRequestLimits,
): ReadonlySet<string> | null {
  if (value === undefined || value === null || value === '') return null;
  const list: unknown = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list)) throw new ClientRequestError(path, STRUCTURE);
  if (list.length > limits.maxFilterTypes) {
    throw new ClientRequestError(
      path,
      `a filter takes at most ${limits.maxFilterTypes} types (option maxFilterTypes), got ${list.length}`,
    );
  }
  if (list.some((type) => typeof type !== 'string' || type.length === 0)) {
    throw new ClientRequestError(path, STRUCTURE);
  }
  for (let i = 0; i < list.length; i++) {
    const problem = eventTypeProblem(list[i]);
    if (problem) throw new ClientRequestError(path, `entry ${i}: ${problem}`);
  }
  return new Set(list as string[]);
}

/** A resume seq: a safe non-negative integer, or a string of decimal digits. */
function parseSeq(value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) {
    return value;
  }
  if (typeof value === 'string' && /^[0-9]{1,16}$/.test(value)) {
    const seq = Number(value);
    if (Number.isSafeInteger(seq)) return seq;
  }
  const shown =
    typeof value === 'number'
      ? String(value)
      : typeof value === 'string'
        ? quotePrefix(value)
        : describeValue(value);
  throw new ClientRequestError(
    'lastSeq',
    `must be a non-negative integer, got ${shown}`,
  );
}

/** `value`'s own property `name` (never one inherited from Object.prototype). */
function own(value: unknown, name: string): unknown {
  return typeof value === 'object' &&
    value !== null &&
    Object.hasOwn(value, name)
    ? (value as Record<string, unknown>)[name]
    : undefined;
}

/**
 * Whether `value` as JSON takes more than `limit` bytes. Walks it without a
 * recursion (a deeply nested handshake cannot overflow the stack) and stops
 * as soon as the count passes the limit, so it costs at most about `limit`
 * steps whatever the value's size.
 */
export function jsonBytesOver(value: unknown, limit: number): boolean {
  let bytes = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item === 'string') {
      // Quotes; a UTF-16 unit is at least one byte, at most three.
      bytes += 2 + (item.length > limit ? item.length : byteLength(item));
    } else if (typeof item === 'object' && item !== null) {
      bytes += 2;
      if (Array.isArray(item)) {
        bytes += Math.max(0, item.length - 1);
        if (item.length > limit) return true;
        for (const element of item) stack.push(element);
      } else {
        const keys = Object.keys(item);
        if (keys.length > limit) return true;
        // `"key":` each, and the commas between members.
        bytes += Math.max(0, keys.length * 4 - 1);
        for (const key of keys) {
          bytes += byteLength(key);
          stack.push((item as Record<string, unknown>)[key]);
        }
      }
    } else {
      bytes += String(item).length;
    }
    if (bytes > limit) return true;
  }
  return false;
}

function byteLength(text: string): number {
  return Buffer.byteLength(text);
}
