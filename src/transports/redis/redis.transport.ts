import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { EncodedEvent } from '../../core/event-codec.js';
import { LatencyHistogram } from '../../core/latency-histogram.js';
import {
  TransportUnavailableError,
  type EventTransport,
  type PublishReceipt,
  type TransportSink,
  type TransportState,
  type TransportStats,
} from '../event-transport.js';
import {
  REDIS_DEFAULTS,
  checkRedisOptions,
  redact,
  redisKeys,
  type RedisKeys,
  type RedisTransportOptions,
} from './redis-options.js';
import { APPEND_SCRIPT, type AppendCommand } from './redis-scripts.js';
import { StreamReader } from './stream-reader.js';

export type { RedisTransportOptions };

/** Most entries one XREAD takes; see `StreamReader`. */
const MAX_READ_COUNT = 1000;
/** Buckets of the append latency, in ms: a round trip on a LAN to a timeout. */
const COMMAND_LATENCY_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000];

/**
 * Several nodes behind one Redis. A publish goes into a Redis Stream (with a
 * seq from one counter, so every node numbers events alike) and the
 * latest-per-type hash; every node reads the stream and feeds its own bus,
 * whose bounded, drain-aware delivery, history and snapshot work exactly as
 * in memory. A client can therefore resume on any node, over WebSocket,
 * without sticky sessions.
 */
export class RedisTransport implements EventTransport {
  readonly sharedSequence = true;
  readonly name = 'redis';
  /** The last problem met (a failed reconnect, a skipped stream entry), for diagnosis. */
  lastError = '';
  private writer: Redis | null = null;
  // The stream reader's own connection (it blocks in XREAD).
  private reader: Redis | null = null;
  private streamReader: StreamReader | null = null;
  // The reader from its first load on (streamReader is set once started).
  private counted: StreamReader | null = null;
  private append$: AppendCommand | null = null;
  private _state: TransportState = 'starting';
  private stopping: Promise<void> | null = null;
  private readonly keys: RedisKeys;
  private transient: ReadonlySet<string> = new Set();
  private maxLen = 1;
  private readonly commandLatency = new LatencyHistogram(COMMAND_LATENCY_MS);
  private commandErrors = 0;

  constructor(private readonly options: RedisTransportOptions) {
    checkRedisOptions(options);
    this.keys = redisKeys(options.keyPrefix ?? REDIS_DEFAULTS.keyPrefix);
  }

  get state(): TransportState {
    return this._state;
  }

  /**
   * Stream entries and latest-hash fields this node skipped because this
   * bus did not write them (a malformed seq, another epoch's stray, a type
   * that breaks the type rule); the last one's reason is in `lastError`.
   */
  get skippedEntries(): number {
    return this.counted?.skipped ?? 0;
  }

  async start(sink: TransportSink): Promise<void> {
    const { Redis } = await import('ioredis').catch(() => {
      throw new Error(
        "The Redis transport needs the 'ioredis' package: npm install ioredis",
      );
    });
    const bounds = sink.options;
    this.transient = new Set(bounds.transientTypes);
    this.maxLen =
      this.options.streamMaxLen ?? Math.max(bounds.historyMaxEvents, 1);
    const common = {
      lazyConnect: true,
      connectTimeout:
        this.options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
      // Reconnect by ourselves forever, a little slower each time.
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
    };
    // The writer fails fast while Redis is down (no offline queue), gives up
    // on a reply that does not come (a half-open connection) and never
    // re-sends a command whose reply was lost (no duplicate events).
    const writer = new Redis(this.options.url, {
      ...common,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout:
        this.options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs,
    });
    const readerConnection = new Redis(this.options.url, {
      ...common,
      maxRetriesPerRequest: null,
    });
    this.writer = writer;
    this.reader = readerConnection;
    // Half a subscriber queue at most: see StreamReader's readCount.
    const readCount = Math.max(
      1,
      Math.min(MAX_READ_COUNT, Math.floor(bounds.queueCapacity / 2)),
    );
    const streamReader = new StreamReader(
      readerConnection,
      this.keys,
      sink,
      readCount,
      (problem) => {
        this.lastError = problem;
      },
    );
    this.counted = streamReader;
    for (const client of [writer, readerConnection]) {
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
    readerConnection.on('ready', () => {
      if (this._state !== 'starting') streamReader.reconnected();
    });
    try {
      await Promise.all([writer.connect(), readerConnection.connect()]);
      writer.defineCommand('livebusAppend', {
        numberOfKeys: 5,
        lua: APPEND_SCRIPT,
      });
      this.append$ = (
        writer as unknown as { livebusAppend: AppendCommand }
      ).livebusAppend.bind(writer);
      await streamReader.load();
    } catch (error) {
      writer.disconnect();
      readerConnection.disconnect();
      throw new TransportUnavailableError(
        `Cannot reach Redis at ${redact(this.options.url)} (${(error as Error).message}): start Redis, or fix the transport url (REDIS_URL for the demo)`,
        { cause: error, maybePublished: false },
      );
    }
    this.setState('ready');
    this.streamReader = streamReader;
    streamReader.start();
  }

  async append(events: readonly EncodedEvent[]): Promise<PublishReceipt> {
    if (this._state === 'starting' || this._state === 'stopped') {
      // Before start, or after stop (whose connection may still look ready
      // for a tick while it closes): nothing is sent.
      throw new TransportUnavailableError(
        `Redis did not take the event(s), nothing was published: the transport is ${this._state === 'stopped' ? 'stopped' : 'not started'}`,
        { maybePublished: false },
      );
    }
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
      epochChanges: this.streamReader?.epochChanges ?? 0,
      commandLatency: this.commandLatency.snapshot(),
      commandErrors: this.commandErrors,
      headSeq,
    };
  }

  /** Stops reading and disconnects; a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.disconnect();
    return this.stopping;
  }

  private async disconnect(): Promise<void> {
    this.setState('stopped');
    if (this.streamReader) await this.streamReader.stop();
    else this.reader?.disconnect();
    if (this.writer?.status === 'ready') {
      // quit waits for a reply: give up on it as on any other command.
      await this.writer.quit().catch(() => this.writer?.disconnect());
    } else this.writer?.disconnect();
  }

  private connectionChanged(): void {
    if (this._state === 'stopped' || this._state === 'starting') return;
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
