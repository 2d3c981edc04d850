import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  EventBus,
  ResolvedEventBusCoreOptions,
} from '../core/event-bus.js';
import type { EncodedEvent } from '../core/event-codec.js';
import {
  TransportUnavailableError,
  type EventTransport,
  type PublishReceipt,
  type TransportState,
} from './event-transport.js';

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
   * The stream is trimmed to about this many entries: a node can replay
   * about `streamMaxLen ÷ publish rate` seconds. @default the bus's `historyMaxEvents` (10000)
   */
  streamMaxLen?: number;
  /** Told when the transport becomes degraded or recovers. */
  onStateChange?: (state: TransportState, reason?: string) => void;
}

// One round trip per batch, atomic: contiguous seqs, the stream entries and
// the latest-per-type hash always agree. A missing epoch (a fresh or wiped
// Redis) is created, so nodes see the numbering restart.
const APPEND_SCRIPT = `
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('SET', KEYS[1], ARGV[2])
  epoch = ARGV[2]
end
local n = (#ARGV - 2) / 3
local last = redis.call('INCRBY', KEYS[2], n)
local first = last - n + 1
for i = 0, n - 1 do
  local seq = first + i
  local etype = ARGV[3 + i * 3]
  local json = ARGV[4 + i * 3]
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[1], '*', 's', seq, 't', etype, 'j', json, 'e', epoch)
  if ARGV[5 + i * 3] == '1' then
    redis.call('HSET', KEYS[4], etype, seq .. ' ' .. json)
  end
end
return {first, epoch}
`;

type AppendCommand = (
  epochKey: string,
  seqKey: string,
  streamKey: string,
  latestKey: string,
  ...args: (string | number)[]
) => Promise<[number, string]>;

const READ_BLOCK_MS = 5000;
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
  private reading: Promise<void> = Promise.resolve();
  private lastId = '0-0';
  private wakeStopped: () => void = () => undefined;
  private readonly stoppedSignal = new Promise<null>((resolve) => {
    this.wakeStopped = () => resolve(null);
  });
  private readonly keys: {
    epoch: string;
    seq: string;
    stream: string;
    latest: string;
  };
  private readonly transient: ReadonlySet<string>;
  private readonly maxLen: number;
  // Entries fed to the bus at once: at most half a subscriber queue, so
  // that a backlog read from Redis reaches fast clients in several socket
  // writes (each XREAD round trip lets them drain) instead of overflowing
  // their queues in one synchronous burst.
  private readonly readCount: number;

  constructor(
    private readonly options: RedisTransportOptions,
    bus: ResolvedEventBusCoreOptions,
  ) {
    if (typeof options.url !== 'string' || options.url.length === 0) {
      throw new TypeError(
        "transport.url must be a Redis URL such as 'redis://127.0.0.1:6379'",
      );
    }
    const prefix = options.keyPrefix ?? 'livebus:';
    this.keys = {
      epoch: `${prefix}epoch`,
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

  async start(bus: EventBus): Promise<void> {
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
    // The writer fails fast while Redis is down (no offline queue) and never
    // re-sends a command whose reply was lost (no duplicate events).
    this.writer = new Redis(this.options.url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
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
    try {
      await Promise.all([this.writer.connect(), this.reader.connect()]);
      this.writer.defineCommand('livebusAppend', {
        numberOfKeys: 4,
        lua: APPEND_SCRIPT,
      });
      this.append$ = (
        this.writer as unknown as { livebusAppend: AppendCommand }
      ).livebusAppend.bind(this.writer);
      await this.load(bus);
    } catch (error) {
      this.writer.disconnect();
      this.reader.disconnect();
      throw new TransportUnavailableError(
        `Cannot reach Redis at ${redact(this.options.url)} (${(error as Error).message}): start Redis, or fix the transport url (REDIS_URL for the demo)`,
        { cause: error },
      );
    }
    this.setState('ready');
    this.reading = this.readLoop(bus);
  }

  async append(events: readonly EncodedEvent[]): Promise<PublishReceipt> {
    const args: (string | number)[] = [this.maxLen, randomUUID()];
    for (const { type, json } of events) {
      args.push(type, json, this.transient.has(type) ? '0' : '1');
    }
    try {
      const [seq, epoch] = await this.append$!(
        this.keys.epoch,
        this.keys.seq,
        this.keys.stream,
        this.keys.latest,
        ...args,
      );
      return { seq: Number(seq), epoch };
    } catch (error) {
      throw new TransportUnavailableError(
        `Redis did not take the event(s), nothing was published: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.setState('stopped');
    this.wakeStopped();
    // disconnect (not quit): the reader is blocked in XREAD.
    this.reader?.disconnect();
    await this.reading;
    if (this.writer?.status === 'ready') await this.writer.quit();
    else this.writer?.disconnect();
  }

  /**
   * Loads the shared state in one MULTI (a consistent point: the append
   * script is atomic): the epoch, the latest hash, and the kept stream,
   * which becomes this node's history.
   */
  private async load(bus: EventBus): Promise<void> {
    const reader = this.reader!;
    await reader.set(this.keys.epoch, randomUUID(), 'NX');
    const replies = await reader
      .multi()
      .get(this.keys.epoch)
      .get(this.keys.seq)
      .hgetall(this.keys.latest)
      .xrange(this.keys.stream, '-', '+')
      .exec();
    if (!replies) throw new Error('the MULTI that loads the state was aborted');
    for (const [error] of replies) if (error) throw error;
    const epoch = replies[0][1] as string;
    const seq = Number(replies[1][1] ?? 0);
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
    // The hash was read at the same point as the stream: start from it just
    // before the kept entries, then apply them to fill the history; each
    // type ends at its hash value again.
    const entries = replies[3][1] as [string, string[]][];
    const first = entries.length > 0 ? entryOf(entries[0][1]).seq : seq + 1;
    bus.restart(epoch, first - 1, latest);
    for (const [id, fields] of entries) {
      const entry = entryOf(fields);
      bus.applySequenced(entry.seq, entry.type, entry.json);
      this.lastId = id;
    }
  }

  private async readLoop(bus: EventBus): Promise<void> {
    while (!this.stopped) {
      let reply: [string, [string, string[]][]][] | null;
      try {
        const read = this.reader!.xread(
          'COUNT',
          this.readCount,
          'BLOCK',
          READ_BLOCK_MS,
          'STREAMS',
          this.keys.stream,
          this.lastId,
        ) as Promise<[string, [string, string[]][]][] | null>;
        // stop() must not wait for a read stuck on a reconnecting client.
        read.catch(() => undefined);
        reply = await Promise.race([read, this.stoppedSignal]);
      } catch (error) {
        // A command error (the connection itself is watched by events):
        // try again shortly rather than spin.
        this.lastError = (error as Error).message;
        await Promise.race([
          new Promise((resolve) => setTimeout(resolve, 200).unref()),
          this.stoppedSignal,
        ]);
        continue;
      }
      if (!reply || this.stopped) continue;
      for (const [id, fields] of reply[0][1]) {
        this.lastId = id;
        const entry = entryOf(fields);
        if (entry.epoch !== bus.epoch) {
          // Redis lost its data and a new numbering began: every session
          // is told to re-hydrate.
          bus.restart(entry.epoch, entry.seq - 1, []);
        }
        bus.applySequenced(entry.seq, entry.type, entry.json);
      }
    }
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

function entryOf(fields: string[]): {
  seq: number;
  type: string;
  json: string;
  epoch: string;
} {
  const map: Record<string, string> = {};
  for (let i = 0; i < fields.length; i += 2) map[fields[i]] = fields[i + 1];
  return { seq: Number(map.s), type: map.t, json: map.j, epoch: map.e };
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
