import { RESERVED_EVENT_TYPES } from './messages.js';

/** The longest accepted event type, in characters. */
export const MAX_TYPE_LENGTH = 200;

/**
 * Why `type` cannot name an event, or `null` when it can. One rule for
 * every entry point (publish, ingest, worker, Redis, handshake filters).
 */
export function eventTypeProblem(type: unknown): string | null {
  if (typeof type !== 'string' || type.length === 0) {
    return `must be a non-empty string, got ${describeValue(type)}`;
  }
  if (type.length > MAX_TYPE_LENGTH) {
    return `must be at most ${MAX_TYPE_LENGTH} characters, got ${type.length}`;
  }
  if (RESERVED_EVENT_TYPES.has(type)) {
    return `"${type}" is reserved (by Socket.IO or the bus's control messages); choose another type`;
  }
  return null;
}

/** A short description of a refused value, quoting at most a prefix of it. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = (value as object).constructor?.name;
    return name ? `a ${name}` : 'an object';
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
