import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
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
  const latest = Object.entries(replies[2][1] as Record<string, string>).map(
    ([type, value]) => {
      const space = value.indexOf(' ');
      return {
        type,
        seq: Number(value.slice(0, space)),
        json: value.slice(space + 1),
      };
    },
  );
  // Oldest update first, so that the snapshot's bound on types
  // (snapshotMaxTypes) drops the least recently updated ones, as live.
  latest.sort((x, y) => x.seq - y.seq);
  return {
    epoch: replies[0][1] as string,
    seq: Number(replies[1][1] ?? 0),
    latest,
    entries: replies[3][1] as [string, string[]][],
  };
}

/**
 * A stream entry as the append script writes it, or `null` for anything
 * else someone put in the stream: to be skipped, rather than a NaN seq or
 * an `undefined` type in every node's snapshot.
 */
export function parseEntry(fields: string[]): StreamEntry | null {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) {
    map.set(fields[i], fields[i + 1]);
  }
  const seq = Number(map.get('s'));
  const [type, json, epoch] = [map.get('t'), map.get('j'), map.get('e')];
  if (
    Number.isSafeInteger(seq) &&
    seq > 0 &&
    type &&
    json !== undefined &&
    epoch
  ) {
    return { seq, type, json, epoch };
  }
  return null;
}

/** When Redis stored a stream entry: the milliseconds part of its id. */
export function timeOf(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}
