import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { eventTypeProblem } from '../../protocol/event-types.js';
import type { RedisKeys } from './redis-options.js';
import { EPOCH_SCRIPT } from './redis-scripts.js';

/** The shared state in Redis at one point, as {@link fetchSharedState} reads it. */
export interface SharedState {
  epoch: string;
  seq: number;
  /** The latest event of each type, oldest update first. */
  latest: { type: string; seq: number; json: string }[];
  /** The kept stream: `[id, fields]`, oldest first. */
  entries: [string, string[]][];
  /** Why each latest-hash field that is not an event of this bus was skipped. */
  skipped: string[];
}

/** One event of the stream, as the append script writes it. */
export interface StreamEntry {
  seq: number;
  type: string;
  json: string;
  epoch: string;
}

/**
 * Reads the shared state in one MULTI (a consistent point: the append
 * script is atomic), after starting a new epoch if Redis needs one (see
 * `EPOCH_SCRIPT`): the epoch, the latest hash, and the kept stream.
 */
export async function fetchSharedState(
  client: Redis,
  keys: RedisKeys,
): Promise<SharedState> {
  const replies = await client
    .multi()
    .eval(EPOCH_SCRIPT, 2, keys.epoch, keys.runId, randomUUID())
    .get(keys.seq)
    .hgetall(keys.latest)
    .xrange(keys.stream, '-', '+')
    .exec();
  if (!replies) throw new Error('the MULTI that loads the state was aborted');
  for (const [error] of replies) if (error) throw error;
  const latest: SharedState['latest'] = [];
  const skipped: string[] = [];
  for (const [type, value] of Object.entries(
    replies[2][1] as Record<string, string>,
  )) {
    const event = parseLatest(type, value);
    if (typeof event === 'string') skipped.push(event);
    else latest.push(event);
  }
  // Oldest update first, so that the snapshot's bound on types
  // (snapshotMaxTypes) drops the least recently updated ones, as live.
  latest.sort((x, y) => x.seq - y.seq);
  return {
    epoch: replies[0][1] as string,
    seq: Number(replies[1][1] ?? 0),
    latest,
    entries: replies[3][1] as [string, string[]][],
    skipped,
  };
}

/**
 * A latest-hash field as the append script writes it (`<seq> <json>` under
 * a type name), or why it is not one.
 */
function parseLatest(
  type: string,
  value: unknown,
): { type: string; seq: number; json: string } | string {
  const problem = eventTypeProblem(type);
  if (problem) return `its type ${problem}`;
  const space = typeof value === 'string' ? value.indexOf(' ') : -1;
  const seq = Number((value as string).slice(0, Math.max(space, 0)));
  if (space <= 0 || !Number.isSafeInteger(seq) || seq <= 0) {
    return `its value is not "<seq> <json>"`;
  }
  return { type, seq, json: (value as string).slice(space + 1) };
}

/**
 * A stream entry as the append script writes it, or `null` for anything
 * else someone put in the stream: to be skipped, rather than a NaN seq, an
 * `undefined` type or a type that is not a name in every node's snapshot.
 */
export function parseEntry(fields: string[]): StreamEntry | null {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    map.set(fields[i], fields[i + 1]);
  }
  const seq = Number(map.get('s'));
  const [type, json, epoch] = [map.get('t'), map.get('j'), map.get('e')];
  // A type passes the one type rule, as at every entry point: a name, never
  // text for an SSE line or a key of Object.prototype.
  if (
    Number.isSafeInteger(seq) &&
    seq > 0 &&
    eventTypeProblem(type) === null &&
    json !== undefined &&
    epoch
  ) {
    return { seq, type: type as string, json, epoch };
  }
  return null;
}

/** When Redis stored a stream entry: the milliseconds part of its id. */
export function timeOf(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
