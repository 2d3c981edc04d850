import { randomUUID } from 'node:crypto';
import {
  IdempotencyWindow,
  TransportUnavailableError,
  type AppendOptions,
  type EventTransport,
  type PublishReceipt,
  type TransportSink,
  type TransportState,
} from '../../src/index.js';

interface LogEntry {
  readonly seq: number;
  readonly type: string;
  readonly json: string;
  readonly at: number;
}

/**
 * A miniature Redis, in process: one numbering, a bounded log and the
 * latest event of each type, shared by every transport made on it. It can
 * be taken away (`available = false`) and lose its data (`wipe`).
 */
export class SharedLog {
  epoch: string = randomUUID();
  seq = 0;
  entries: LogEntry[] = [];
  readonly latest = new Map<string, { seq: number; json: string }>();
  /** The idempotency ids stored, with their receipts (bounded by the first node's options). */
  private ids: IdempotencyWindow<PublishReceipt> | null = null;
  private _available = true;
  private readonly readers = new Set<SharedLogTransport>();

  constructor(private readonly maxEntries = 500) {}

  get available(): boolean {
    return this._available;
  }

  set available(available: boolean) {
    this._available = available;
    for (const reader of this.readers) reader.backendChanged();
  }

  /** Everything is lost; what follows is numbered in a new epoch. */
  wipe(): void {
    this.epoch = randomUUID();
    this.seq = 0;
    this.entries = [];
    this.latest.clear();
    this.ids = null;
    for (const reader of this.readers) reader.backendChanged();
  }

  append(
    events: readonly { type: string; json: string }[],
    id: string | undefined,
    bounds: TransportSink['options'],
  ): PublishReceipt {
    this.ids ??= new IdempotencyWindow(
      bounds.idempotencyWindowMs,
      bounds.idempotencyMaxIds,
    );
    const stored = id === undefined ? undefined : this.ids.get(id);
    if (stored) return { ...stored, duplicate: true };
    const first = this.seq + 1;
    for (const { type, json } of events) {
      const seq = ++this.seq;
      this.entries.push({ seq, type, json, at: Date.now() });
      this.latest.delete(type);
      this.latest.set(type, { seq, json });
    }
    this.entries.splice(0, Math.max(0, this.entries.length - this.maxEntries));
    for (const reader of this.readers) reader.backendChanged();
    const receipt = { seq: first, epoch: this.epoch };
    if (id !== undefined) this.ids.remember(id, receipt);
    return receipt;
  }

  listen(reader: SharedLogTransport): void {
    this.readers.add(reader);
  }

  unlisten(reader: SharedLogTransport): void {
    this.readers.delete(reader);
  }
}

/**
 * A transport written against the public port only: every node appends to
 * one {@link SharedLog} and reads it back, a tick later, as from a remote
 * store; on a new epoch it reloads, as a node starting now would.
 */
export class SharedLogTransport implements EventTransport {
  readonly sharedSequence = true;
  private _state: TransportState = 'starting';
  private sink: TransportSink | null = null;
  private pending: NodeJS.Immediate | null = null;
  private held = false;

  constructor(private readonly log: SharedLog) {}

  get state(): TransportState {
    return this._state;
  }

  async start(sink: TransportSink): Promise<void> {
    if (!this.log.available) {
      throw new TransportUnavailableError('the shared log is unreachable');
    }
    this.sink = sink;
    this.load(sink);
    this.log.listen(this);
    this._state = 'ready';
  }

  append(
    events: readonly { type: string; json: string }[],
    options?: AppendOptions,
  ): Promise<PublishReceipt> {
    if (this._state === 'starting' || this._state === 'stopped' || !this.sink) {
      return Promise.reject(
        new TransportUnavailableError(`the transport is ${this._state}`),
      );
    }
    if (!this.log.available) {
      return Promise.reject(
        new TransportUnavailableError(
          'the shared log is unreachable: nothing was published',
        ),
      );
    }
    return Promise.resolve(
      this.log.append(events, options?.id, this.sink.options),
    );
  }

  async stop(): Promise<void> {
    this._state = 'stopped';
    this.log.unlisten(this);
    if (this.pending) clearImmediate(this.pending);
    this.pending = null;
    this.sink = null;
  }

  /** Holds this node's reading back, as a busy node or a slow link would. */
  hold(): void {
    this.held = true;
  }

  /** Reads on from where it was held. */
  release(): void {
    this.held = false;
    this.backendChanged();
  }

  /** The log changed: read it on the next tick, as a remote reader would. */
  backendChanged(): void {
    if (this.held) return;
    this.pending ??= setImmediate(() => {
      this.pending = null;
      this.read();
    });
  }

  private read(): void {
    const sink = this.sink;
    if (!sink) return;
    if (!this.log.available) {
      this._state = 'degraded';
      return;
    }
    this._state = 'ready';
    if (this.log.epoch !== sink.epoch) {
      this.load(sink);
      return;
    }
    for (const { seq, type, json, at } of this.log.entries) {
      if (seq > sink.lastSeq) sink.applySequenced(seq, type, json, at);
    }
  }

  /** The log's epoch, latest events and kept entries, as the sink's own. */
  private load(sink: TransportSink): void {
    const first = this.log.entries[0]?.seq ?? this.log.seq + 1;
    sink.restart(
      this.log.epoch,
      first - 1,
      [...this.log.latest].map(([type, { json }]) => ({ type, json })),
    );
    for (const { seq, type, json, at } of this.log.entries) {
      sink.applySequenced(seq, type, json, at);
    }
  }
}
