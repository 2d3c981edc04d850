import type { Redis } from 'ioredis';
import type { TransportSink } from '../event-transport.js';
import type { RedisKeys } from './redis-options.js';
import {
  fetchSharedState,
  parseEntry,
  timeOf,
  type SharedState,
  type StreamEntry,
} from './shared-state.js';

const READ_BLOCK_MS = 5000;

/**
 * Feeds one node's sink from the Redis stream: loads the shared state, then
 * reads on with a blocking XREAD on a connection of its own, reloading when
 * Redis starts a new epoch. Problems that do not stop it (an entry it did
 * not write, a sink that threw) go to `report`.
 */
export class StreamReader {
  private stopped = false;
  // Set when the connection comes back: Redis may be another run now (see
  // EPOCH_SCRIPT), which must not wait for the next publish to be noticed.
  private recheckEpoch = false;
  private reading: Promise<void> = Promise.resolve();
  private lastId = '0-0';
  private loadedEpoch: string | null = null;
  /** Times this node moved to a new epoch after its first load. */
  epochChanges = 0;
  /** Stream entries and latest-hash fields skipped as not this bus's events. */
  skipped = 0;
  private wakeStopped: () => void = () => undefined;
  private readonly stoppedSignal = new Promise<null>((resolve) => {
    this.wakeStopped = () => resolve(null);
  });

  /**
   * `readCount` is the most entries one XREAD takes and feeds to the sink at
   * once: a backlog then reaches fast clients in several socket writes
   * (each round trip lets them drain) instead of overflowing their queues
   * in one synchronous burst.
   */
  constructor(
    private readonly client: Redis,
    private readonly keys: RedisKeys,
    private readonly sink: TransportSink,
    private readonly readCount: number,
    private readonly report: (problem: string) => void,
  ) {}

  /** Loads the shared state into the sink; throws if Redis cannot be read. */
  async load(): Promise<void> {
    this.apply(await fetchSharedState(this.client, this.keys));
  }

  /** Reads on after what {@link load} loaded, until {@link stop}. */
  start(): void {
    this.reading = this.readLoop();
  }

  /** The connection is back: look whether Redis is another run first. */
  reconnected(): void {
    this.recheckEpoch = true;
  }

  /** Stops reading (disconnecting, as the reader may be blocked in XREAD). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeStopped();
    this.client.disconnect();
    await this.reading;
  }

  /**
   * Makes the shared state this node's: its epoch and latest events, and,
   * as history, the kept stream entries of that epoch (the stream may still
   * hold entries of the epochs before). Reading goes on after them.
   */
  private apply(state: SharedState): void {
    for (const problem of state.skipped) {
      this.skipped++;
      this.report(
        `a field of ${this.keys.latest} is not an event this bus wrote (${problem}); skipped it`,
      );
    }
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
    this.toSink(() => this.sink.restart(state.epoch, first - 1, state.latest));
    const last = state.entries.at(-1);
    if (last) this.lastId = last[0];
    for (const { id, seq, type, json } of entries) {
      this.toSink(() => this.sink.applySequenced(seq, type, json, timeOf(id)));
    }
  }

  private async readLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.readOnce();
      } catch (error) {
        // A command error (the connection itself is watched by events):
        // try again shortly rather than spin.
        this.report((error as Error).message);
        await this.unlessStopped(
          new Promise((resolve) => setTimeout(resolve, 200).unref()),
        );
      }
    }
  }

  /** One XREAD, fed to the sink; throws only for Redis errors. */
  private async readOnce(): Promise<void> {
    if (this.recheckEpoch) {
      // Reconnected: reload if Redis restarted (empty, or from an older
      // copy), so clients re-hydrate now rather than at the next publish.
      const state = await this.fetchState();
      if (!state) return;
      this.recheckEpoch = false;
      if (state.epoch !== this.sink.epoch) {
        this.apply(state);
        return;
      }
    }
    const reply = await this.unlessStopped(
      this.client.xread(
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
      if (entry && entry.epoch !== this.sink.epoch) {
        // A new numbering began (Redis lost its data, or went back to an
        // older copy of it): reload this node as a node starting now would,
        // which tells every session to re-hydrate. What follows this entry
        // was read by the reload; if the reload fails, this entry is read
        // again.
        const state = await this.fetchState();
        if (!state) return;
        if (state.epoch !== this.sink.epoch) {
          this.apply(state);
          return;
        }
        // Redis still numbers in this node's epoch: not one of its events.
        this.report(
          `stream entry ${id} of ${this.keys.stream} belongs to epoch ${entry.epoch}, not to the current ${this.sink.epoch}; skipped it`,
        );
      }
      this.lastId = id;
      if (entry?.epoch === this.sink.epoch) {
        this.toSink(() =>
          this.sink.applySequenced(
            entry.seq,
            entry.type,
            entry.json,
            timeOf(id),
          ),
        );
      }
    }
  }

  /** The shared state now, or `null` once stop() was called. */
  private async fetchState(): Promise<SharedState | null> {
    const state = await this.unlessStopped(
      fetchSharedState(this.client, this.keys),
    );
    return this.stopped ? null : state;
  }

  private parse(id: string, fields: string[]): StreamEntry | null {
    const entry = parseEntry(fields);
    if (!entry) {
      this.skipped++;
      this.report(
        `stream entry ${id} of ${this.keys.stream} is not an event this bus wrote; skipped it`,
      );
    }
    return entry;
  }

  /**
   * Runs a step that feeds the sink (and through it every subscriber): if it
   * throws, the error is reported and the reader goes on with the next
   * entry, rather than dying with an unhandled rejection that nothing
   * awaits until stop().
   */
  private toSink(step: () => void): void {
    try {
      step();
    } catch (error) {
      this.report(
        `the bus failed on an event read from the stream: ${(error as Error).message}`,
      );
    }
  }

  /** `command`, or `null` as soon as stop() is called (never waiting on a reconnecting client). */
  private unlessStopped<T>(command: Promise<T>): Promise<T | null> {
    command.catch(() => undefined);
    return Promise.race([command, this.stoppedSignal]);
  }
}
