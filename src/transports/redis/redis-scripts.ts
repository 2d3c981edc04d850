// The Lua scripts the Redis transport runs: each one atomic, so that the
// counter, the stream and the latest-per-type hash always agree.

// Which numbering (epoch) the data in Redis belongs to, run by both scripts
// below before anything else (KEYS[1] epoch, KEYS[2] run id, ARGV[1] a fresh
// epoch). A missing epoch (a fresh or wiped Redis) is created. So is a new
// one when Redis is not the run the epoch was made in: a Redis restarted
// from an RDB/AOF file, or a replica promoted by a failover, may hold an
// older seq counter than the nodes have already passed, and reusing those
// seqs in the same epoch would make every node drop the new events as
// duplicates. Any restart or failover therefore costs clients one reset
// (a snapshot marked reset), even when no data was lost: safe, never
// silent. The run id is the server's INFO run_id (new at every start).
const EPOCH_CHECK = `
local runid = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
if not runid then
  return redis.error_reply('livebus: INFO server shows no run_id, so a Redis gone back in time could not be told apart')
end
local epoch = redis.call('GET', KEYS[1])
if not epoch or redis.call('GET', KEYS[2]) ~= runid then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
  redis.call('SET', KEYS[2], runid)
end
`;

/** Returns the epoch (starting a new one if needed); run inside the MULTI that loads the shared state. */
export const EPOCH_SCRIPT = `${EPOCH_CHECK}
return epoch
`;

/**
 * Appends a batch in one round trip: KEYS epoch, run id, seq, stream,
 * latest; ARGV a fresh epoch, the stream's MAXLEN, then per event its type,
 * JSON and '1' to keep it as its type's latest ('0': a transient type).
 * Returns `{first seq, epoch}`. Every check that can fail comes before the
 * first XADD, so an error reply means nothing was published (short of
 * someone giving the stream or hash key another type).
 */
export const APPEND_SCRIPT = `${EPOCH_CHECK}
local n = (#ARGV - 2) / 3
local last = redis.call('INCRBY', KEYS[3], n)
local first = last - n + 1
for i = 0, n - 1 do
  local seq = first + i
  local etype = ARGV[3 + i * 3]
  local json = ARGV[4 + i * 3]
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[2], '*', 's', seq, 't', etype, 'j', json, 'e', epoch)
  if ARGV[5 + i * 3] == '1' then
    redis.call('HSET', KEYS[5], etype, seq .. ' ' .. json)
  end
end
return {first, epoch}
`;

/** {@link APPEND_SCRIPT} as the command ioredis defines for it. */
export type AppendCommand = (
  epochKey: string,
  runIdKey: string,
  seqKey: string,
  streamKey: string,
  latestKey: string,
  ...args: (string | number)[]
) => Promise<[number, string]>;
