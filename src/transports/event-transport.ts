import type { ResolvedCoreOptions } from '../core/core-options.js';
import type { EncodedEvent } from '../core/event-codec.js';
import type { HistogramSnapshot } from '../core/latency-histogram.js';

/** What a publish returns: where the event stands in the stream. */
export interface PublishReceipt {
  /** The event's sequence number (the first one's, for several). */
  readonly seq: number;
  /** The stream the seq belongs to. */
  readonly epoch: string;
  /**
   * `true` when the append's idempotency id had been stored already: this
   * is that first append's receipt, and nothing was appended again.
   */
  readonly duplicate?: boolean;
}

/** How to append: see {@link EventTransport.append}. */
export interface AppendOptions {
  /**
   * The append's idempotency id (checked by the bus: 1 to 200 visible ASCII
   * characters). An append whose id the transport stored within the bus's
   * `idempotencyWindowMs` (and among its newest `idempotencyMaxIds` ids)
   * appends nothing and resolves with the stored receipt, marked
   * `duplicate`. The id names the append, not its content.
   */
  readonly id?: string;
}

/** Where a transport is: `degraded` while its backend is unreachable. */
export type TransportState = 'starting' | 'ready' | 'degraded' | 'stopped';

/** What a shared transport reports about itself (for metrics and health). */
export interface TransportStats {
  /** Times the shared stream began a new epoch after start (its data was lost or replaced). */
  readonly epochChanges: number;
  /** How long appends took to be answered, in ms (failures included). */
  readonly commandLatency: HistogramSnapshot;
  /** Appends that failed (refused, unanswered, timed out). */
  readonly commandErrors: number;
  /**
   * The newest seq of the shared stream, asked of the backend now, or
   * `null` when it could not be asked: with the bus's own `lastSeq`, how
   * far this node's reader trails.
   */
  readonly headSeq: number | null;
  /**
   * Entries of the shared backend this node skipped because this bus did
   * not write them (malformed, another epoch's stray, a type that breaks
   * the type rule): someone else writes under the bus's keys. Absent for a
   * transport that cannot meet any.
   */
  readonly skippedEntries?: number;
}

/**
 * The side of this node's bus a transport talks to: just what carrying
 * events needs, never the bus itself. `LivebusCore` is one.
 *
 * A transport either sequences accepted events here ({@link sequence}: one
 * process, nothing shared) or feeds back what a shared backend sequenced
 * ({@link applySequenced}, {@link restart}).
 */
export interface TransportSink {
  /** The numbering this node is in. */
  readonly epoch: string;
  /** The seq of the newest event delivered here (0 before any). */
  readonly lastSeq: number;
  /**
   * The bus's bounds, for a transport that keeps events of its own: how
   * many a node keeps for resuming clients, and for how long
   * (`historyMaxEvents`, `historyMaxAgeMs`), which types the snapshot never
   * keeps (`transientTypes`) and how many types and bytes it keeps
   * (`snapshotMaxTypes`, `snapshotMaxBytes`), a
   * subscriber's queue size (`queueCapacity`: feed a backlog in smaller
   * steps), and how long and how many idempotency ids are remembered
   * (`idempotencyWindowMs`, `idempotencyMaxIds`).
   */
  readonly options: Pick<
    ResolvedCoreOptions,
    | 'historyMaxEvents'
    | 'historyMaxAgeMs'
    | 'transientTypes'
    | 'snapshotMaxTypes'
    | 'snapshotMaxBytes'
    | 'queueCapacity'
    | 'idempotencyWindowMs'
    | 'idempotencyMaxIds'
  >;
  /** Gives an accepted event the next seq and delivers it here at once. */
  sequence(event: EncodedEvent): { readonly seq: number };
  /**
   * Delivers an event the backend numbered `seq` in the current epoch.
   * A seq at or below `lastSeq` is a duplicate and ignored; one past the
   * next tells every subscriber the missed range. `acceptedAt` (ms since
   * 1970) is when the backend took it, for the history's age bound.
   */
  applySequenced(
    seq: number,
    type: string,
    json: string,
    acceptedAt?: number,
  ): void;
  /**
   * Starts the numbering `epoch` at `seq` with the latest event of each
   * type (oldest update first): the history is dropped and every client
   * re-hydrates. Events after `seq` follow through {@link applySequenced}.
   */
  restart(
    epoch: string,
    seq: number,
    latest: Iterable<{ readonly type: string; readonly json: string }>,
  ): void;
}

/**
 * Carries accepted events to the bus of every node. The bus owns it: it
 * calls {@link start} once when the module initialises and {@link stop} once
 * at shutdown. Its contract, executable as `describeTransportConformance`
 * from `nestjs-livebus/testing`:
 *
 * - `append` numbers events in call order (calls not awaited keep their
 *   order), contiguously, and every node's sink receives them in that order
 *   with those seqs.
 * - An append with an idempotency id ({@link AppendOptions.id}) that the
 *   transport stored (on any node) within `idempotencyWindowMs`, among the
 *   newest `idempotencyMaxIds`, appends nothing and resolves with the first
 *   append's receipt, `duplicate: true`; the check and the append are one
 *   atomic step, so two appends with one id store it once. Ids older or
 *   fewer than that are forgotten (bounded memory). An id is stored with
 *   its events or not at all: if the backend loses the events, it loses the
 *   id too, and an append again with it publishes them again.
 * - A numbering that restarts (the backend lost its data) is a new epoch,
 *   told to every node's sink through `restart`.
 * - `start` loads what the backend keeps (epoch, seq, latest events, and
 *   the events kept for resuming), so a node started later serves the same
 *   snapshot and resumes.
 * - An append the backend cannot take rejects with
 *   {@link TransportUnavailableError}; its `maybePublished` is `false` only
 *   if the events can never appear. So does an append before `start` or
 *   after `stop`.
 * - `stop` resolves soon, even with the backend unreachable, and leaves no
 *   socket or timer behind.
 */
export interface EventTransport {
  /** Where it is; `degraded` while the backend is unreachable. */
  readonly state: TransportState;
  /**
   * Whether other nodes number events in the same stream, so that a client
   * may have seen, on another node, a seq this node has not received yet
   * (a resume then waits briefly for it). `false` when this process alone
   * numbers events: a seq past this node's was never issued.
   */
  readonly sharedSequence: boolean;
  /**
   * A short name for logs, metrics labels and the inspector (`'memory'`,
   * `'redis'`). @default 'custom'
   */
  readonly name?: string;
  /**
   * Connects and loads the shared state into `sink`; rejects with a clear
   * error (never a secret such as a password) if it cannot.
   */
  start(sink: TransportSink): Promise<void>;
  /**
   * Appends accepted events, in order, and resolves with the first one's seq
   * (the rest follow it contiguously), or, for an id already stored, with
   * that append's receipt (`duplicate: true`). Rejects with
   * `TransportUnavailableError` when the backend cannot take them now, or
   * did not confirm them (its `maybePublished` tells which).
   */
  append(
    events: readonly EncodedEvent[],
    options?: AppendOptions,
  ): Promise<PublishReceipt>;
  /** Stops reading and disconnects. */
  stop(): Promise<void>;
  /** Optional: how the shared backend is doing (a memory transport has nothing to say). */
  stats?(): Promise<TransportStats>;
}

/**
 * Thrown to a publisher when the transport cannot take events right now
 * (the ingest endpoint answers `503` with its message).
 */
export class TransportUnavailableError extends Error {
  override readonly name = 'TransportUnavailableError';
  /**
   * `false`: the events were refused before they reached the backend (not
   * connected, or it answered with an error), so nothing was published and
   * publishing again is safe. `true`: they were sent and the answer was
   * lost (the connection dropped) or did not come in time, so they may
   * have been published. Publishing them again with the same idempotency
   * id (`publish(event, { id })`) is safe: stored, they are not stored
   * again. Without an id, check (the snapshot, or the stream a subscriber
   * sees) before publishing them again, or they may appear twice.
   */
  readonly maybePublished: boolean;
  constructor(
    message: string,
    options?: { cause?: unknown; maybePublished?: boolean },
  ) {
    super(message, options);
    this.maybePublished = options?.maybePublished ?? false;
  }
}
