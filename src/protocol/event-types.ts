import { RESERVED_EVENT_TYPES } from './messages.js';

/** The longest accepted event type, in characters. */
export const MAX_TYPE_LENGTH = 100;

/**
 * An event type is a name, not text: a letter, then letters, digits and
 * `_ . : / -`. No control character, quote or space can reach a wire
 * (an SSE `event:` line, a Socket.IO packet, a Redis field, a log line).
 */
export const EVENT_TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_.:/-]*$/;

/** Types starting with this belong to the bus's own messages. */
export const RESERVED_TYPE_PREFIX = 'livebus:';

/** A name of Socket.IO's or of the bus's own messages, never an event's. */
export function isReservedType(type: string): boolean {
  return (
    RESERVED_EVENT_TYPES.has(type) || type.startsWith(RESERVED_TYPE_PREFIX)
  );
}

// `constructor`, `toString`, `hasOwnProperty`...: a type named after one
// would be found on every plain object a client keys by type.
const OBJECT_MEMBERS: ReadonlySet<string> = new Set(
  Object.getOwnPropertyNames(Object.prototype),
);

/**
 * Why `type` cannot name an event, or `null` when it can. One rule for
 * every entry point: publish, ingest, worker, Redis reader, handshake and
 * `subscribe` filters.
 */
export function eventTypeProblem(type: unknown): string | null {
  if (typeof type !== 'string' || type.length === 0) {
    return `must be a non-empty string, got ${describeValue(type)}`;
  }
  if (type.length > MAX_TYPE_LENGTH) {
    return `must be at most ${MAX_TYPE_LENGTH} characters, got ${type.length}`;
  }
  if (!EVENT_TYPE_PATTERN.test(type)) {
    return `${quotePrefix(type)} is not a type name: use a letter, then letters, digits and _ . : / -`;
  }
  if (isReservedType(type)) {
    return `"${type}" is reserved (by Socket.IO or the bus's control messages); choose another type`;
  }
  if (OBJECT_MEMBERS.has(type)) {
    return `"${type}" is the name of an Object.prototype member, which clients keying state by type would trip over; choose another type`;
  }
  return null;
}

/** Whether `type` may name an event. */
export function isEventType(type: unknown): type is string {
  return eventTypeProblem(type) === null;
}

/** A short description of a refused value, quoting at most a prefix of it. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    // The prototype's constructor, never an own `constructor` property
    // (a JSON object's own words), and only a short class name.
    const ctor: unknown = (Object.getPrototypeOf(value) as object | null)
      ?.constructor;
    const name = typeof ctor === 'function' ? ctor.name : '';
    return name && name !== 'Object' && /^[\w$]{1,40}$/.test(name)
      ? `a ${name}`
      : 'an object';
  }
  if (typeof value === 'string') return `string ${quotePrefix(value)}`;
  return `${typeof value} ${String(value)}`;
}

/** `text` as a JSON string, cut to its first `max` characters. */
export function quotePrefix(text: string, max = 32): string {
  return text.length <= max
    ? JSON.stringify(text)
    : `${JSON.stringify(text.slice(0, max))}… (${text.length} characters)`;
}
