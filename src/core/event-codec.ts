import {
  describeValue as describe,
  eventTypeProblem,
  quotePrefix,
} from '../protocol/event-types.js';
import type { EncodedEvent } from '../protocol/worker-messages.js';
import { EventTooLargeError, InvalidEventError } from './errors.js';

export type { EncodedEvent } from '../protocol/worker-messages.js';

const MAX_DEPTH = 64;
/** A refused field's path is cut here: it quotes the sender's keys. */
const MAX_PATH = 160;
const PLAIN_KEY = /^[A-Za-z_$][\w$]{0,31}$/;

/**
 * Validates `value` as a bus event and encodes it to JSON once.
 * Throws {@link InvalidEventError} naming the offending field, or
 * {@link EventTooLargeError} when the JSON exceeds `maxBytes`.
 * `rawJson`, when given, must be the JSON text `value` was parsed from
 * (ingest's body): it is kept as the event's JSON instead of stringifying
 * what was just parsed.
 */
export function encodeEvent(
  value: unknown,
  maxBytes: number,
  rawJson?: string,
): EncodedEvent {
  if (!isPlainObject(value)) {
    throw new InvalidEventError(
      'event',
      `must be a JSON object, got ${describe(value)}`,
    );
  }
  const type = value.type;
  assertType(type);
  // The walk that names the bad field builds paths: only for a bad event.
  if (!isJsonValue(value, 0)) assertJson(value, 'event', 0);
  const json = rawJson ?? JSON.stringify(value);
  assertSize(json, maxBytes);
  return { type, json };
}

/**
 * Re-checks an event that {@link encodeEvent} produced in another thread:
 * its type and size against this bus's limits, and that it is a JSON object
 * text. The JSON itself was built by `JSON.stringify` and is not re-parsed.
 */
export function verifyEncoded(value: unknown, maxBytes: number): EncodedEvent {
  const candidate = value as Partial<EncodedEvent> | null;
  const json = candidate?.json;
  if (
    typeof json !== 'string' ||
    json.charCodeAt(0) !== 0x7b /* { */ ||
    json.charCodeAt(json.length - 1) !== 0x7d /* } */
  ) {
    throw new InvalidEventError(
      'event',
      'must be a JSON object encoded by encodeEvent',
    );
  }
  assertType(candidate?.type);
  assertSize(json, maxBytes);
  return { type: candidate!.type as string, json };
}

function assertType(type: unknown): asserts type is string {
  const problem = eventTypeProblem(type);
  if (problem) throw new InvalidEventError('event.type', problem);
}

function assertSize(json: string, maxBytes: number): void {
  // Cheap bound first: UTF-8 never takes more than 3 bytes per UTF-16 unit.
  if (json.length * 3 <= maxBytes) return;
  const bytes = Buffer.byteLength(json);
  if (bytes > maxBytes) throw new EventTooLargeError(bytes, maxBytes);
}

function assertJson(value: unknown, path: string, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new InvalidEventError(
          path,
          `${value} is not a JSON number; send null or a finite number`,
        );
      }
      return;
    case 'object':
      break;
    default:
      throw new InvalidEventError(
        path,
        `${describe(value)} is not a JSON value`,
      );
  }
  if (value === null) return;
  if (depth >= MAX_DEPTH) {
    throw new InvalidEventError(
      path,
      `nests deeper than ${MAX_DEPTH} levels (or is circular)`,
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      assertJson(value[i], `${path}[${i}]`, depth + 1);
    }
    return;
  }
  if (!isPlainObject(value)) {
    throw new InvalidEventError(
      path,
      `${describe(value)} is not a plain JSON object; convert it first (e.g. a Date to an ISO string)`,
    );
  }
  for (const key of Object.keys(value)) {
    assertJson(value[key], childPath(path, key), depth + 1);
  }
}

/** Whether {@link assertJson} accepts `value`, without building any path. */
function isJsonValue(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!isJsonValue(value[i], depth + 1)) return false;
    }
    return true;
  }
  if (!isPlainObject(value)) return false;
  for (const key in value) {
    if (
      Object.hasOwn(value, key) &&
      !isJsonValue((value as Record<string, unknown>)[key], depth + 1)
    ) {
      return false;
    }
  }
  return true;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return false;
  }
  // Realm-independent: an object from another realm (a worker message, a
  // vm context) has that realm's Object.prototype, whose prototype is null.
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The path of `key` in `path`: `.key` for a short plain key, else the key
 * quoted by a prefix (`["a b"]`); past {@link MAX_PATH} characters the path
 * ends in `…`, however deep the field.
 */
function childPath(path: string, key: string): string {
  if (path.endsWith('…')) return path;
  const next = PLAIN_KEY.test(key)
    ? `${path}.${key}`
    : `${path}[${quotePrefix(key, 24)}]`;
  return next.length > MAX_PATH ? `${path}…` : next;
}
