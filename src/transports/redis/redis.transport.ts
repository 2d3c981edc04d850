import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { assertPositive } from '../../core/assert-option.js';
import type { ResolvedCoreOptions } from '../../core/core-options.js';
import type { LivebusCore } from '../../core/livebus-core.js';
import type { EncodedEvent } from '../../core/event-codec.js';
import { LatencyHistogram } from '../../core/latency-histogram.js';
import {
  TransportUnavailableError,
  type EventTransport,
  type PublishReceipt,
  type TransportState,
  type TransportStats,
} from '../event-transport.js';

/** Options of the Redis transport: `transport: { type: 'redis', url }`. */
export interface RedisTransportOptions {
  type: 'redis';
  /** Where Redis is, e.g. `redis://127.0.0.1:6379/0`. */
  url: string;
  /** Prefix of the keys the bus uses (epoch, seq, stream, latest). @default 'livebus:' */
  keyPrefix?: string;
  /** How long start-up waits for Redis before failing, in ms. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * How long a publish waits for Redis to answer before it rejects with
   * `TransportUnavailableError` (`maybePublished: true`), in ms: a
   * half-open connection (a dead peer, a dropped route) would otherwise
   * hold every publish for the kernel's TCP timeout (many minutes).
   * @default 5000
   */
  commandTimeoutMs?: number;
  /**
   * The stream is trimmed to about this many entries: a node can replay
   * about `streamMaxLen ÷ publish rate` seconds. @default the bus's `historyMaxEvents` (10000)
   */
  streamMaxLen?: number;
  /** Told when the transport becomes degraded or recovers. */
  onStateChange?: (state: TransportState, reason?: string) => void;
}

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

// Run inside the MULTI that loads the shared state.
const EPOCH_SCRIPT = `${EPOCH_CHECK}
return epoch
`;

// One round trip per batch, atomic: contiguous seqs, the stream entries and
// the latest-per-type hash always agree. Every check that can fail comes
// before the first XADD, so an error reply means nothing was published
// (short of someone giving the stream or hash key another type).
const APPEND_SCRIPT = `${EPOCH_CHECK}
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

type AppendCommand = (
  epochKey: string,
  runIdKey: string,
  seqKey: string,
  streamKey: string,
  latestKey: string,
  ...args: (string | number)[]
) => Promise<[number, string]>;

const READ_BLOCK_MS = 5000;
/** Buckets of the append latency, in ms: a round trip on a LAN to a timeout. */
const COMMAND_LATENCY_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000];
/** Most entries one XREAD takes; see `readCount`. */
const MAX_READ_COUNT = 1000;

/**
 * Several nodes behind one Redis. A publish goes into a Redis Stream (with a
 * seq from one counter, so every node numbers events alike) and the
 * latest-per-type hash; every node reads the stream and feeds its own bus,
 * whose bounded, drain-aware delivery, history and snapshot work exactly as
 * in memory. A client can therefore resume on any node, over WebSocket,
 * without sticky sessions.
 */
export class RedisTransport implements EventTransport {
  readonly kind = 'redis';
  private writer: Redis | null = null;
  private reader: Redis | null = null;
  private append$: AppendCommand | null = null;
  private _state: TransportState = 'starting';
  private stopped = false;
  private lastError = '';
  // Set when the reader reconnects: Redis may be another run now (see
  // EPOCH_CHECK), which must not wait for the next publish to be noticed.
  private recheckEpoch = false;
  private reading: Promise<void> = Promise.resolve();
  private lastId = '0-0';
  private wakeStopped: () => void = () => undefined;
  private readonly stoppedSignal = new Promise<null>((resolve) => {
    this.wakeStopped = () => resolve(null);
  });
  private readonly keys: {
    epoch: string;
    runId: string;
    seq: string;
    stream: string;
    latest: string;
  };
  private readonly transient: ReadonlySet<string>;
  private readonly maxLen: number;
  private readonly commandTimeoutMs: number;
  // Entries fed to the bus at once: at most half a subscriber queue, so
  // that a backlog read from Redis reaches fast clients in several socket
  // writes (each XREAD round trip lets them drain) instead of overflowing
  // their queues in one synchronous burst.
  private readonly readCount: number;
  private readonly commandLatency = new LatencyHistogram(COMMAND_LATENCY_MS);
  private commandErrors = 0;
  private epochChanges = 0;
  private loadedEpoch: string | null = null;

  constructor(
    private readonly options: RedisTransportOptions,
    bus: ResolvedCoreOptions,
  ) {
    if (typeof options.url !== 'string' || options.url.length === 0) {
      throw new TypeError(
        "transport.url must be a Redis URL such as 'redis://127.0.0.1:6379'",
      );
    }
    assertPositive('transport.commandTimeoutMs', options.commandTimeoutMs);
    this.commandTimeoutMs = options.commandTimeoutMs ?? 5000;
    const prefix = options.keyPrefix ?? 'livebus:';
    this.keys = {
      epoch: `${prefix}epoch`,
      runId: `${prefix}runid`,
      seq: `${prefix}seq`,
      stream: `${prefix}stream`,
      latest: `${prefix}latest`,
    };
    this.transient = new Set(bus.transientTypes);
    this.maxLen = options.streamMaxLen ?? Math.max(bus.historyMaxEvents, 1);
    this.readCount = Math.max(
      1,
      Math.min(MAX_READ_COUNT, Math.floor(bus.queueCapacity / 2)),
    );
  }

  get state(): TransportState {
    return this._state;
  }

  async start(bus: LivebusCore): Promise<void> {
    const { Redis } = await import('ioredis').catch(() => {
      throw new Error(
        "The Redis transport needs the 'ioredis' package: npm install ioredis",
      );
    });
    const common = {
      lazyConnect: true,
      connectTimeout: this.options.connectTimeoutMs ?? 5000,
      // Reconnect by ourselves forever, a little slower each time.
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
    };
    // The writer fails fast while Redis is down (no offline queue), gives up
    // on a reply that does not come (a half-open connection) and never
    // re-sends a command whose reply was lost (no duplicate events).
    this.writer = new Redis(this.options.url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: this.commandTimeoutMs,
    });
    this.reader = new Redis(this.options.url, {
      ...common,
      maxRetriesPerRequest: null,
    });
    for (const client of [this.writer, this.reader]) {
      // Errors surface through commands and the state; ioredis would
      // otherwise print every failed reconnect.
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
      // A blocked XREAD does not fail while ioredis reconnects (it is
      // re-sent), so the state follows the connections themselves.
      client.on('close', () => this.connectionChanged());
      client.on('ready', () => this.connectionChanged());
    }
    this.reader.on('ready', () => {
      if (this._state !== 'starting') this.recheckEpoch = true;
    });
    try {
      await Promise.all([this.writer.connect(), this.reader.connect()]);
      this.writer.defineCommand('livebusAppend', {
        numberOfKeys: 5,
        lua: APPEND_SCRIPT,
      });
      this.append$ = (
        this.writer as unknown as { livebusAppend: AppendCommand }
      ).livebusAppend.bind(this.writer);
      this.load(bus, await this.fetchState());
    } catch (error) {
      this.writer.disconnect();
      this.reader.disconnect();
      throw new TransportUnavailableError(
        `Cannot reach Redis at ${redact(this.options.url)} (${(error as Error).message}): start Redis, or fix the transport url (REDIS_URL for the demo)`,
        { cause: error, maybePublished: false },
      );
    }
    this.setState('ready');
    this.reading = this.readLoop(bus);
  }

  async append(events: readonly EncodedEvent[]): Promise<PublishReceipt> {
    const args: (string | number)[] = [randomUUID(), this.maxLen];
    for (const { type, json } of events) {
      args.push(type, json, this.transient.has(type) ? '0' : '1');
    }
    // Not connected: ioredis refuses the command without sending it (no
    // offline queue), so nothing can have been published.
    const sent = this.writer?.status === 'ready';
    const started = performance.now();
    try {
      if (!sent) {
        throw new Error(
          `not connected (connection ${this.writer?.status ?? 'not started'})`,
        );
      }
      const [seq, epoch] = await this.append$!(
        this.keys.epoch,
        this.keys.runId,
        this.keys.seq,
        this.keys.stream,
        this.keys.latest,
        ...args,
      );
      this.commandLatency.observe(performance.now() - started);
      return { seq: Number(seq), epoch };
    } catch (error) {
      if (sent) this.commandLatency.observe(performance.now() - started);
      this.commandErrors++;
      const message = (error as Error).message;
      // Sent, and the reply was lost (connection closed) or late (timed
      // out): the script may have run. Refused before it was sent, or
      // answered with an error (the script fails before its first XADD):
      // it did not.
      const maybePublished =
        sent &&
        (error as Error).name !== 'ReplyError' &&
        !message.startsWith("Stream isn't writeable");
      throw new TransportUnavailableError(
        maybePublished
          ? `Redis did not answer (${message}): the event(s) may have been published: check before publishing again`
          : `Redis did not take the event(s), nothing was published: ${message}`,
        { cause: error, maybePublished },
      );
    }
  }

  async stats(): Promise<TransportStats> {
    let headSeq: number | null = null;
    if (this.writer?.status === 'ready') {
      try {
        headSeq = Number((await this.writer.get(this.keys.seq)) ?? 0);
      } catch {
        headSeq = null;
      }
    }
    return {
      epochChanges: this.epochChanges,
      commandLatency: this.commandLatency.snapshot(),
      commandErrors: this.commandErrors,
      headSeq,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setState('stopped');
    this.wakeStopped();
    // disconnect (not quit): the reader is blocked in XREAD.
    this.reader?.disconnect();
    await this.reading;
    if (this.writer?.status === 'ready') {
      // quit waits for a reply: give up on it as on any other command.
      await this.writer.quit().catch(() => this.writer?.disconnect());
    } else this.writer?.disconnect();
  }

  /**
   * Reads the shared state in one MULTI (a consistent point: the append
   * script is atomic), after starting a new epoch if Redis needs one (see
   * `EPOCH_CHECK`): the epoch, the latest hash, and the kept stream.
   */
  private async fetchState(): Promise<SharedState> {
    const replies = await this.reader!.multi()
      .eval(EPOCH_SCRIPT, 2, this.keys.epoch, this.keys.runId, randomUUID())
      .get(this.keys.seq)
      .hgetall(this.keys.latest)
      .xrange(this.keys.stream, '-', '+')
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
   * Makes the shared state this node's: its epoch and latest events, and,
   * as history, the kept stream entries of that epoch (the stream may still
   * hold entries of the epochs before). Reading goes on after them.
   */
  private load(bus: LivebusCore, state: SharedState): void {
    const entries: (StreamEntry & { id: string })[] = [];
    for (const [id, fields] of state.entries) {
      const entry = this.parse(id, fields);
      if (entry?.epoch === state.epoch) entries.push({ id, ...entry });
    }
    // The hash was read at the same point as the stream: start from it just
    // before the kept entries, then apply them to fill the history; each
    // type ends at its hash value again.
    const first = entries.length > 0 ? entries[0].seq : state.seq + 1;
    if (this.loadedEpoch !== null && this.loadedEpoch !== state.epoch) {
      this.epochChanges++;
    }
    this.loadedEpoch = state.epoch;
    this.toBus(() => bus.restart(state.epoch, first - 1, state.latest));
    const last = state.entries.at(-1);
    if (last) this.lastId = last[0];
    for (const { id, seq, type, json } of entries) {
      this.toBus(() => bus.applySequenced(seq, type, json, timeOf(id)));
    }
  }

  private async readLoop(bus: LivebusCore): Promise<void> {
    while (!this.stopped) {
      try {
        await this.readOnce(bus);
      } catch (error) {
        // A command error (the connection itself is watched by events):
        // try again shortly rather than spin.
        this.lastError = (error as Error).message;
        await Promise.race([
          new Promise((resolve) => setTimeout(resolve, 200).unref()),
          this.stoppedSignal,
        ]);
      }
    }
  }

  /** One XREAD, fed to the bus; throws only for Redis errors. */
  private async readOnce(bus: LivebusCore): Promise<void> {
    if (this.recheckEpoch) {
      // Reconnected: reload if Redis restarted (empty, or from an older
      // copy), so clients re-hydrate now rather than at the next publish.
      const state = await this.unlessStopped(this.fetchState());
      if (!state || this.stopped) return;
      this.recheckEpoch = false;
      if (state.epoch !== bus.epoch) {
        this.load(bus, state);
        return;
      }
    }
    const reply = await this.unlessStopped(
      this.reader!.xread(
        'COUNT',
        this.readCount,
        'BLOCK',
        READ_BLOCK_MS,
        'STREAMS',
        this.keys.stream,
        this.lastId,
      ) as Promise<[string, [string, string[]][]][] | null>,
    );
    if (!reply || this.stopped) return;
    for (const [id, fields] of reply[0][1]) {
      const entry = this.parse(id, fields);
      if (entry && entry.epoch !== bus.epoch) {
        // A new numbering began (Redis lost its data, or went back to an
        // older copy of it): reload this node as a node starting now would,
        // which tells every session to re-hydrate. What follows this entry
        // was read by the reload; if the reload fails, this entry is read
        // again.
        const state = await this.unlessStopped(this.fetchState());
        if (!state || this.stopped) return;
        if (state.epoch !== bus.epoch) {
          this.load(bus, state);
          return;
        }
        // Redis still numbers in this node's epoch: not one of its events.
        this.lastError = `stream entry ${id} of ${this.keys.stream} belongs to epoch ${entry.epoch}, not to the current ${bus.epoch}; skipped it`;
      }
      this.lastId = id;
      if (entry?.epoch === bus.epoch) {
        this.toBus(() =>
          bus.applySequenced(entry.seq, entry.type, entry.json, timeOf(id)),
        );
      }
    }
  }

  /**
   * A stream entry as the append script writes it, or `null` (remembered
   * in `lastError`) for anything else someone put in the stream: skipped,
   * rather than a NaN seq or an `undefined` type in every node's snapshot.
   */
  private parse(id: string, fields: string[]): StreamEntry | null {
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
    this.lastError = `stream entry ${id} of ${this.keys.stream} is not an event this bus wrote; skipped it`;
    return null;
  }

  /**
   * Runs a step that feeds the bus (and through it every subscriber): if it
   * throws, the error is remembered and the reader goes on with the next
   * entry, rather than dying with an unhandled rejection that nothing
   * awaits until stop().
   */
  private toBus(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.lastError = `the bus failed on an event read from the stream: ${(error as Error).message}`;
    }
  }

  /** `command`, or `null` as soon as stop() is called (never waiting on a reconnecting client). */
  private unlessStopped<T>(command: Promise<T>): Promise<T | null> {
    command.catch(() => undefined);
    return Promise.race([command, this.stoppedSignal]);
  }

  private connectionChanged(): void {
    if (this.stopped || this._state === 'starting') return;
    const up =
      this.writer?.status === 'ready' && this.reader?.status === 'ready';
    if (up) this.setState('ready');
    else this.setState('degraded', this.lastError || 'connection closed');
  }

  private setState(state: TransportState, reason?: string): void {
    if (this._state === state) return;
    this._state = state;
    this.options.onStateChange?.(state, reason);
  }
}

/** The shared state in Redis at one point, as `fetchState` reads it. */
interface SharedState {
  epoch: string;
  seq: number;
  /** The latest event of each type, oldest update first. */
  latest: { type: string; seq: number; json: string }[];
  /** The kept stream: `[id, fields]`, oldest first. */
  entries: [string, string[]][];
}

/** One event of the stream, as the append script writes it. */
interface StreamEntry {
  seq: number;
  type: string;
  json: string;
  epoch: string;
}

/** When Redis stored a stream entry: the milliseconds part of its id. */
function timeOf(id: string): number {
  return Number(id.slice(0, id.indexOf('-')));
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
