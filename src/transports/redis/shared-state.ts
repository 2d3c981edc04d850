import { randomUUID } from 'node:crypto';
import { eventTypeProblem } from '../../protocol/event-types.js';
import type { RedisClient } from './redis-connections.js';
import type { RedisKeys } from './redis-options.js';
import { EPOCH_SCRIPT } from './redis-scripts.js';

/** What a node knows, handed to the epoch check (see `EPOCH_SCRIPT`). */
export interface EpochClaim {
  /** The epoch the node is in. */
  readonly epoch: string;
  /** The highest seq it knows of in that epoch (read, or given to its publishes). */
  readonly seq: number;
  /** It saw the stream go back in time: start a new epoch if Redis is still in `epoch`. */
  readonly rollback?: boolean;
  /** Compare Redis's run_id too (the ACL allows INFO). */
  readonly checkRunId: boolean;
}

/** The head of the shared state, read at one point (one MULTI). */
export interface StreamHead {
  epoch: string;
  /** Redis's counter: the last seq given. */
  seq: number;
  /** The id of the stream's newest entry, or `null` for an empty stream. */
  tailId: string | null;
}

/** The latest event of a type, as the latest hash keeps it. */
export interface LatestEvent {
  type: string;
  seq: number;
  json: string;
}

/** One event of the stream, as the append script writes it. */
export interface StreamEntry {
  seq: number;
  type: string;
  json: string;
  epoch: string;
}

/** A stream entry as Redis returns it: `[id, [field, value, ...]]`. */
export type RawEntry = [string, string[]];

/**
 * Reads the head of the shared state in one MULTI (a consistent point: the
 * append script is atomic), after starting a new epoch if Redis needs one
 * (see `EPOCH_SCRIPT`, given what the caller knows): the epoch, the
 * counter, and the newest entry's id.
 */
export async function fetchHead(
  client: RedisClient,
  keys: RedisKeys,
  claim: EpochClaim,
): Promise<StreamHead> {
  const replies = await client
    .multi()
    .eval(
      EPOCH_SCRIPT,
      3,
      keys.epoch,
      keys.runId,
      keys.seq,
      randomUUID(),
      claim.epoch,
      claim.seq,
      claim.rollback ? '1' : '0',
      claim.checkRunId ? '1' : '0',
    )
    .get(keys.seq)
    .xrevrange(keys.stream, '+', '-', 'COUNT', 1)
    .exec();
  if (!replies) throw new Error('the MULTI that reads the state was aborted');
  for (const [error] of replies) if (error) throw error;
  const tail = replies[2][1] as RawEntry[];
  return {
    epoch: replies[0][1] as string,
    seq: Number(replies[1][1] ?? 0),
    tailId: tail.length > 0 ? tail[0][0] : null,
  };
}

/**
 * The latest event of each type, oldest update first (so that the
 * snapshot's bound on types drops the least recently updated ones, as
 * live), read with HSCAN in pages of about `pageSize` types. The hash is
 * itself bounded as the snapshot is, by types and by bytes.
 */
export async function scanLatest(
  client: RedisClient,
  keys: RedisKeys,
  pageSize: number,
): Promise<{ latest: LatestEvent[]; skipped: string[] }> {
  // HSCAN may return a field twice (while the hash is rehashed).
  const found = new Map<string, LatestEvent>();
  // Why each field that is not an event of this bus was skipped.
  const skipped = new Map<string, string>();
  let cursor = '0';
  do {
    const [next, flat] = await client.hscan(
      keys.latest,
      cursor,
      'COUNT',
      pageSize,
    );
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const event = parseLatest(flat[i], flat[i + 1]);
      if (typeof event === 'string') skipped.set(flat[i], event);
      else found.set(event.type, event);
    }
    cursor = next;
  } while (cursor !== '0');
  return {
    latest: [...found.values()].sort((x, y) => x.seq - y.seq),
    skipped: [...skipped.values()],
  };
}

/**
 * A latest-hash field as the append script writes it (`<seq> <json>` under
 * a type name), or why it is not one.
 */
function parseLatest(type: string, value: unknown): LatestEvent | string {
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
 * The stream's entries up to `lastId`, oldest first, in pages of at most
 * `pageSize` (XRANGE with COUNT): a node holds one page at a time, however
 * long the stream. Entries trimmed meanwhile are skipped (the seqs then
 * jump, which the sink reports as a gap).
 */
export async function* streamPages(
  client: RedisClient,
  keys: RedisKeys,
  lastId: string,
  pageSize: number,
): AsyncGenerator<RawEntry[]> {
  let start = '-';
  for (;;) {
    const page = (await client.xrange(
      keys.stream,
      start,
      lastId,
      'COUNT',
      pageSize,
    )) as RawEntry[];
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    start = `(${page[page.length - 1][0]}`;
  }
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

/** Orders two stream ids (`<ms>-<n>`): negative if `a` comes first. */
export function compareIds(a: string, b: string): number {
  const [am, an] = a.split('-').map(BigInt);
  const [bm, bn] = b.split('-').map(BigInt);
  if (am !== bm) return am < bm ? -1 : 1;
  if (an !== bn) return an < bn ? -1 : 1;
  return 0;
}
