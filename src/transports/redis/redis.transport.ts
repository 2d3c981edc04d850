import type { EncodedEvent } from '../../core/event-codec.js';
import { LatencyHistogram } from '../../core/latency-histogram.js';
import {
  TransportUnavailableError,
  type AppendOptions,
  type EventTransport,
  type PublishReceipt,
  type TransportSink,
  type TransportState,
  type TransportStats,
} from '../event-transport.js';
import {
  createConnections,
  infoAllowed,
  type AppendCommand,
  type RedisClient,
} from './redis-connections.js';
import {
  checkRedisOptions,
  describeTarget,
  keyPrefixOf,
  redisKeys,
  type RedisKeys,
  type RedisTransportOptions,
} from './redis-options.js';
import { APPEND_SCRIPT, appendArguments } from './redis-scripts.js';
import type { EpochClaim } from './shared-state.js';
import { StreamReader } from './stream-reader.js';

export type { RedisTransportOptions };

/** Most entries one XREAD (or one page of a load) takes; see `StreamReader`. */
const MAX_READ_COUNT = 1000;
/** Buckets of the append latency, in ms: a round trip on a LAN to a timeout. */
const COMMAND_LATENCY_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000];

/**
 * Several nodes behind one Redis (a server, a primary behind Sentinel, or a
 * Cluster). A publish goes into a Redis Stream (with a seq from one counter,
 * so every node numbers events alike) and the latest-per-type hash; every
 * node reads the stream and feeds its own bus, whose bounded, drain-aware
 * delivery, history and snapshot work exactly as in memory. A client can
 * therefore resume on any node, over WebSocket, without sticky sessions.
 */
export class RedisTransport implements EventTransport {
  readonly sharedSequence = true;
  readonly name = 'redis';
  /** The last problem met (a failed reconnect, a skipped stream entry), for diagnosis. */
  lastError = '';
  private writer: RedisClient | null = null;
  // The stream reader's own connection (it blocks in XREAD).
  private reader: RedisClient | null = null;
  private streamReader: StreamReader | null = null;
  // The reader from its first load on (streamReader is set once started).
  private counted: StreamReader | null = null;
  private append$: AppendCommand | null = null;
  private _state: TransportState = 'starting';
  private stopping: Promise<void> | null = null;
  private readonly keys: RedisKeys;
  private sink: TransportSink | null = null;
  private transient: ReadonlySet<string> = new Set();
  private readonly commandLatency = new LatencyHistogram(COMMAND_LATENCY_MS);
  private commandErrors = 0;
  // Fixed arguments of the append script after the epoch check's.
  private bounds: (string | number)[] = [];
  private idBounds: (string | number)[] = [];
  // The newest receipt's end: a seq this node knows Redis gave.
  private given = { epoch: '', seq: 0 };
  // Whether the ACL lets this user run INFO (for the epoch check's run_id).
  private checkRunId = true;
  // Reconnections of a connection that ioredis gave up on.
  private readonly revivals = new Set<NodeJS.Timeout>();

  constructor(private readonly options: RedisTransportOptions) {
    checkRedisOptions(options);
    this.keys = redisKeys(keyPrefixOf(options));
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
    const bounds = sink.options;
    this.sink = sink;
    this.transient = new Set(bounds.transientTypes);
    this.bounds = [
      this.options.streamMaxLen ?? Math.max(bounds.historyMaxEvents, 1),
      this.options.streamMaxAgeMs ?? bounds.historyMaxAgeMs,
      // The snapshot's bounds, which the latest hash keeps too.
      bounds.snapshotMaxTypes,
      bounds.snapshotMaxBytes,
    ];
    this.idBounds = [bounds.idempotencyWindowMs, bounds.idempotencyMaxIds];
    const { writer, reader } = await createConnections(
      this.options,
      () => this._state !== 'stopped',
    );
    this.writer = writer;
    this.reader = reader;
    // Half a subscriber queue at most: see StreamReader's readCount.
    const readCount = Math.max(
      1,
      Math.min(MAX_READ_COUNT, Math.floor(bounds.queueCapacity / 2)),
    );
    const streamReader = new StreamReader(
      reader,
      this.keys,
      sink,
      readCount,
      () => this.claim(),
      (problem) => {
        this.lastError = problem;
      },
    );
    this.counted = streamReader;
    for (const client of [writer, reader]) {
      // Errors surface through commands and the state; ioredis would
      // otherwise print every failed reconnect.
      client.on('error', (error: Error) => {
        this.lastError = error.message;
      });
      client.on('close', () => this.connectionChanged());
      client.on('ready', () => this.connectionChanged());
      client.on('end', () => this.revive(client));
    }
    reader.on('ready', () => {
      if (this._state !== 'starting') streamReader.reconnected();
    });
    try {
      await Promise.all([writer.connect(), reader.connect()]);
      this.checkRunId = await infoAllowed(writer);
      writer.defineCommand('livebusAppend', { lua: APPEND_SCRIPT });
      this.append$ = (
        writer as unknown as { livebusAppend: AppendCommand }
      ).livebusAppend.bind(writer);
      await streamReader.load();
    } catch (error) {
      writer.disconnect();
      reader.disconnect();
      throw new TransportUnavailableError(
        `Cannot reach Redis at ${describeTarget(this.options)} (${(error as Error).message}): start Redis, or fix the transport url (REDIS_URL for the demo)`,
        { cause: error, maybePublished: false },
      );
    }
    this.setState('ready');
    this.streamReader = streamReader;
    streamReader.start();
  }

  async append(
    events: readonly EncodedEvent[],
    options?: AppendOptions,
  ): Promise<PublishReceipt> {
    if (this._state === 'starting' || this._state === 'stopped') {
      // Before start, or after stop (whose connection may still look ready
      // for a tick while it closes): nothing is sent.
      throw new TransportUnavailableError(
        `Redis did not take the event(s), nothing was published: the transport is ${this._state === 'stopped' ? 'stopped' : 'not started'}`,
        { maybePublished: false },
      );
    }
    const args = appendArguments(
      {
        keys: this.keys,
        claim: this.claim(),
        bounds: this.bounds,
        id: options?.id ?? '',
        idBounds: this.idBounds,
        transient: this.transient,
      },
      events,
    );
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
      const [seq, epoch, duplicate] = await this.append$!(...args);
      this.commandLatency.observe(performance.now() - started);
      const receipt = { seq: Number(seq), epoch };
      if (Number(duplicate) === 1) return { ...receipt, duplicate: true };
      this.noteGiven(epoch, receipt.seq + events.length - 1);
      return receipt;
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
          ? `Redis did not answer (${message}): the event(s) may have been published: check before publishing again, or publish them again with the same idempotency id`
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
      epochChanges: this.counted?.epochChanges ?? 0,
      commandLatency: this.commandLatency.snapshot(),
      commandErrors: this.commandErrors,
      headSeq,
      skippedEntries: this.skippedEntries,
    };
  }

  /** Stops reading and disconnects; a second call waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.disconnect();
    return this.stopping;
  }

  /** What this node knows of the numbering, for the epoch check. */
  private claim(): EpochClaim {
    const sink = this.sink!;
    const given = this.given.epoch === sink.epoch ? this.given.seq : 0;
    return {
      epoch: sink.epoch,
      seq: Math.max(sink.lastSeq, given),
      checkRunId: this.checkRunId,
    };
  }

  private noteGiven(epoch: string, seq: number): void {
    if (epoch !== this.given.epoch) this.given = { epoch, seq };
    else this.given.seq = Math.max(this.given.seq, seq);
  }

  /**
   * Connects again a connection that ioredis ended while the transport
   * runs: it does when a connection attempt fails past its retry strategy,
   * e.g. when Sentinel says a failover happened while it was connecting.
   */
  private revive(client: RedisClient): void {
    if (this._state === 'stopped' || this._state === 'starting') return;
    const timer = setTimeout(() => {
      this.revivals.delete(timer);
      if (this._state !== 'stopped') client.connect().catch(() => undefined);
    }, 500);
    this.revivals.add(timer);
  }

  private async disconnect(): Promise<void> {
    this.setState('stopped');
    for (const timer of this.revivals) clearTimeout(timer);
    this.revivals.clear();
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
