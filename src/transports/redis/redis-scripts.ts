import { randomUUID } from 'node:crypto';
import type { EncodedEvent } from '../../core/event-codec.js';
import type { RedisKeys } from './redis-options.js';

// The Lua scripts the Redis transport runs: each one atomic, so that the
// counter, the stream, the latest-per-type hash and the idempotency ids
// always agree. Every key is under one prefix (one hash tag in a cluster),
// so each script touches one slot.

// Which numbering (epoch) the data in Redis belongs to, run by both scripts
// below before anything else. KEYS[1] epoch, KEYS[2] run id, KEYS[3] seq;
// ARGV[1] a fresh epoch, ARGV[2] the caller's epoch and ARGV[3] the highest
// seq it knows of in it, ARGV[4] '1' when the caller saw the stream go
// back in time (an entry it had not read numbered at or below what it had),
// ARGV[5] '1' to compare Redis's run_id (where the ACL allows INFO).
//
// A new epoch starts when Redis may hold less than the nodes have seen,
// since reusing those seqs in the same epoch would make every node drop the
// new events as duplicates:
// - the epoch key is missing (a fresh or wiped Redis);
// - where the ACL allows INFO: Redis is not the run the epoch was made in
//   (its run_id changed: a restart, from an RDB/AOF file or empty, or a
//   replica promoted by a failover), even when nothing was lost;
// - always: the caller, in the current epoch, knows a seq past Redis's
//   counter, or saw the stream go back (a restart or failover that lost
//   writes, told by any node that had read them; without INFO, this is how
//   a Redis gone back in time is told apart).
// Any of these costs clients one reset (a snapshot marked reset): safe,
// never silent.
const EPOCH_CHECK = `
local epoch = redis.call('GET', KEYS[1])
local fresh = not epoch
local info = ARGV[5] == '1' and redis.pcall('INFO', 'server')
if type(info) == 'string' then
  local runid = string.match(info, 'run_id:(%x+)')
  if runid and redis.call('GET', KEYS[2]) ~= runid then
    fresh = true
    redis.call('SET', KEYS[2], runid)
  end
end
if not fresh and epoch == ARGV[2] then
  if ARGV[4] == '1' or tonumber(redis.call('GET', KEYS[3]) or '0') < tonumber(ARGV[3]) then
    fresh = true
  end
end
if fresh then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end
`;

// The latest hash's size as the snapshot counts it (SnapshotStore): per
// type `"type":json,`, that is its name (a type needs no JSON escaping) and
// its event's UTF-8 JSON, plus four. KEYS[9] keeps the running total beside
// the hash (under the same prefix, so in the same slot); it is counted
// again from the hash when missing (a hash written before it was kept).
// A field holds `<seq> <json>`; its seq is its score in the order set, and
// tostring(tonumber(score)) writes it as the append wrote it.
const LATEST_BYTES = `
local function latestBytes(etype, score)
  local stored = redis.call('HSTRLEN', KEYS[5], etype)
  if stored == 0 then return 0 end
  return stored - #tostring(tonumber(score)) - 1 + #etype + 4
end
local function latestTotal()
  if redis.call('ZCARD', KEYS[6]) == 0 then return 0 end
  local total = tonumber(redis.call('GET', KEYS[9]) or '')
  if total then return total end
  total = 0
  local order = redis.call('ZRANGE', KEYS[6], 0, -1, 'WITHSCORES')
  for i = 1, #order, 2 do
    total = total + latestBytes(order[i], order[i + 1])
  end
  return total
end
`;

/** Returns the epoch (starting a new one if needed); run inside the MULTI that reads the stream's head. */
export const EPOCH_SCRIPT = `${EPOCH_CHECK}
return epoch
`;

/** How many arguments of {@link APPEND_SCRIPT} come before the events. */
export const APPEND_FIXED_ARGS = 12;

/**
 * Appends a batch in one round trip. KEYS: epoch, run id, seq, stream,
 * latest, latest order, ids, id order, latest bytes. ARGV: the five of the
 * epoch check, then the stream's MAXLEN, its most age in ms ('0': none),
 * the most types and the most bytes the latest hash keeps, the idempotency
 * id ('' for none), how long ids are kept in ms and how many at most, then
 * per event its type, JSON and '1' to keep it as its type's latest ('0': a
 * transient type).
 *
 * Returns `{first seq, epoch, 0}`, or for an id already stored the receipt
 * it was stored with, `{seq, epoch, 1}`, appending nothing. Every check that
 * can fail comes before the first XADD, so an error reply means nothing was
 * published (short of someone giving a key of the bus another type).
 *
 * Bounded: the stream by MAXLEN and by age (MINID, from the time in the
 * newest id: the stream's own clock, monotonic even across a failover to a
 * node whose wall clock is behind); the latest hash as the snapshot is
 * bounded (`SnapshotStore.set`), event by event: by the number of types and
 * by bytes counted as the snapshot counts them, the least recently updated
 * (lowest seq in the order set) dropped first, never the type just set; the
 * ids by count and by age (Redis's clock), at most 100 expired ones
 * forgotten per append.
 */
export const APPEND_SCRIPT = `${EPOCH_CHECK}
${LATEST_BYTES}
local id = ARGV[10]
local now = 0
if id ~= '' then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local expired = redis.call('ZRANGEBYSCORE', KEYS[8], '-inf', '(' .. (now - tonumber(ARGV[11])), 'LIMIT', 0, 100)
  if #expired > 0 then
    redis.call('ZREM', KEYS[8], unpack(expired))
    redis.call('HDEL', KEYS[7], unpack(expired))
  end
  local stored = redis.call('HGET', KEYS[7], id)
  if stored then
    local space = string.find(stored, ' ', 1, true)
    return {tonumber(string.sub(stored, 1, space - 1)), string.sub(stored, space + 1), 1}
  end
end
local n = (#ARGV - ${APPEND_FIXED_ARGS}) / 3
local last = redis.call('INCRBY', KEYS[3], n)
local first = last - n + 1
local maxTypes = tonumber(ARGV[8])
local maxBytes = tonumber(ARGV[9])
local bytes = latestTotal()
local newest
for i = 0, n - 1 do
  local seq = first + i
  local at = ${APPEND_FIXED_ARGS} + 1 + i * 3
  local etype = ARGV[at]
  local json = ARGV[at + 1]
  newest = redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[6], '*', 's', seq, 't', etype, 'j', json, 'e', epoch)
  if ARGV[at + 2] == '1' then
    local was = redis.call('ZSCORE', KEYS[6], etype)
    if was then bytes = bytes - latestBytes(etype, was) end
    redis.call('HSET', KEYS[5], etype, seq .. ' ' .. json)
    redis.call('ZADD', KEYS[6], seq, etype)
    bytes = bytes + #etype + #json + 4
    local count = redis.call('ZCARD', KEYS[6])
    while count > 1 and (count > maxTypes or bytes > maxBytes) do
      local gone = redis.call('ZPOPMIN', KEYS[6])
      bytes = bytes - latestBytes(gone[1], gone[2])
      redis.call('HDEL', KEYS[5], gone[1])
      count = count - 1
    end
  end
end
redis.call('SET', KEYS[9], bytes)
local maxAge = tonumber(ARGV[7])
if maxAge > 0 then
  local ms = tonumber(string.match(newest, '^(%d+)'))
  if ms > maxAge then
    redis.call('XTRIM', KEYS[4], 'MINID', '~', ms - maxAge)
  end
end
if id ~= '' then
  redis.call('HSET', KEYS[7], id, first .. ' ' .. epoch)
  redis.call('ZADD', KEYS[8], now, id)
  local over = redis.call('ZCARD', KEYS[8]) - tonumber(ARGV[12])
  if over > 0 then
    local gone = redis.call('ZPOPMIN', KEYS[8], over)
    for i = 1, #gone, 2 do
      redis.call('HDEL', KEYS[7], gone[i])
    end
  end
end
return {first, epoch, 0}
`;

/** What one append sends beside the events (see {@link APPEND_SCRIPT}). */
export interface AppendRequest {
  keys: RedisKeys;
  /** What this node knows of the numbering (shared-state's EpochClaim). */
  claim: { epoch: string; seq: number; checkRunId: boolean };
  /** Stream MAXLEN, most age in ms, latest hash's most types and bytes. */
  bounds: readonly (string | number)[];
  /** The idempotency id ('' for none). */
  id: string;
  /** How long ids are kept in ms, and how many at most. */
  idBounds: readonly (string | number)[];
  /** Types whose events are not kept as their type's latest. */
  transient: ReadonlySet<string>;
}

/** The numkeys, KEYS and ARGV of one {@link APPEND_SCRIPT} call, in its order. */
export function appendArguments(
  request: AppendRequest,
  events: readonly EncodedEvent[],
): (string | number)[] {
  const { keys, claim } = request;
  const args: (string | number)[] = [
    9,
    keys.epoch,
    keys.runId,
    keys.seq,
    keys.stream,
    keys.latest,
    keys.latestOrder,
    keys.ids,
    keys.idOrder,
    keys.latestBytes,
    randomUUID(),
    claim.epoch,
    claim.seq,
    '0',
    claim.checkRunId ? '1' : '0',
    ...request.bounds,
    request.id,
    ...request.idBounds,
  ];
  for (const { type, json } of events) {
    args.push(type, json, request.transient.has(type) ? '0' : '1');
  }
  return args;
}
