import type { TransportSink } from '../event-transport.js';
import { Interrupt, Reconnected } from './interrupt.js';
import { READ_BLOCK_MS, type RedisClient } from './redis-connections.js';
import type { RedisKeys } from './redis-options.js';
import {
  compareIds,
  fetchHead,
  parseEntry,
  scanLatest,
  streamPages,
  timeOf,
  type EpochClaim,
  type RawEntry,
  type StreamEntry,
  type StreamHead,
} from './shared-state.js';

/**
 * Feeds one node's sink from the Redis stream: loads the shared state, then
 * reads on with a blocking XREAD on a connection of its own, reloading when
 * Redis starts a new epoch. Problems that do not stop it (an entry it did
 * not write, a sink that threw) go to `report`.
 *
 * It never stalls: whenever a read comes back empty (every few seconds on
 * a quiet stream) and whenever its connection comes back, it looks at the
 * stream's head. A new epoch is loaded; a stream whose newest entry is
 * older than the last one read (a failover to a replica that missed writes,
 * whose new ids, from its own clock, may be lower) is Redis gone back in
 * time, told to the epoch check, which starts a new epoch.
 */
export class StreamReader {
  private stopped = false;
  // Set when the connection comes back: Redis may be another run now, which
  // must not wait for the next publish to be noticed.
  private recheck = false;
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
  // Rejects what the reader awaits when its connection came back: a command
  // sent before the connection dropped is never answered (the reader's
  // connection does not send it again, or a blocking read would hold the
  // new connection for seconds before the recheck could run).
  private interrupt = Interrupt.make();

  /**
   * `readCount` is the most entries one read (XREAD, or a page of XRANGE or
   * HSCAN while loading) takes and feeds to the sink at once: a backlog
   * then reaches fast clients in several socket writes (each round trip
   * lets them drain) instead of overflowing their queues in one synchronous
   * burst, and a node holds one page, however long the stream.
   * `claim` says what this node knows, for the epoch check.
   */
  constructor(
    private readonly client: RedisClient,
    private readonly keys: RedisKeys,
    private readonly sink: TransportSink,
    private readonly readCount: number,
    private readonly claim: () => EpochClaim,
    private readonly report: (problem: string) => void,
  ) {}

  /** Loads the shared state into the sink; throws if Redis cannot be read. */
  async load(): Promise<void> {
    const head = await fetchHead(this.client, this.keys, this.claim());
    await this.apply(head);
  }

  /** Reads on after what {@link load} loaded, until {@link stop}. */
  start(): void {
    this.reading = this.readLoop();
  }

  /** The connection is back: look at the stream's head first. */
  reconnected(): void {
    this.recheck = true;
    const interrupt = this.interrupt;
    this.interrupt = Interrupt.make();
    interrupt.fire();
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
   * hold entries of the epochs before), read in pages. Reading goes on
   * after the head's newest entry.
   */
  private async apply(head: StreamHead): Promise<void> {
    const scanned = await this.unlessStopped(
      scanLatest(this.client, this.keys, this.readCount),
    );
    if (!scanned) return;
    const { latest, skipped } = scanned;
    for (const problem of skipped) {
      this.skipped++;
      this.report(
        `a field of ${this.keys.latest} is not an event this bus wrote (${problem}); skipped it`,
      );
    }
    if (this.loadedEpoch !== null && this.loadedEpoch !== head.epoch) {
      this.epochChanges++;
    }
    this.loadedEpoch = head.epoch;
    // Start just before the first kept entry of the epoch, with the types
    // the hash last updated before it, then apply the entries (filling the
    // history): the snapshot goes through the same steps as on a node that
    // read them live, so its bounds drop the same types. (Starting from
    // every type the hash holds would not: a replayed event larger than its
    // type's latest could push out a type that was never dropped.) The hash
    // was read after the head: what it holds past that, the reader reads.
    let restarted = false;
    const restart = (seq: number) => {
      restarted = true;
      const before = latest.filter((event) => event.seq <= seq);
      this.toSink(() => this.sink.restart(head.epoch, seq, before));
    };
    if (head.tailId) {
      const pages = streamPages(
        this.client,
        this.keys,
        head.tailId,
        this.readCount,
      );
      for (;;) {
        const page = await this.unlessStopped(pages.next());
        if (!page || page.done) break;
        for (const [id, fields] of page.value) {
          // Read this far: a load cut short by a lost connection goes on
          // from here once the sink is in the epoch (else it starts over).
          this.lastId = id;
          const entry = this.parse(id, fields);
          if (entry?.epoch !== head.epoch) continue;
          if (!restarted) restart(entry.seq - 1);
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
      if (this.stopped) return;
    }
    if (!restarted) restart(head.seq);
    // Never a stale id: after a wipe or a failover the stream may be empty,
    // or its ids lower than the last one read.
    this.lastId = head.tailId ?? '0-0';
  }

  private async readLoop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.readOnce();
      } catch (error) {
        // A command error, or a connection dropped under a read: try again
        // shortly rather than spin.
        // The connection came back under a command: recheck at once.
        if (error instanceof Reconnected) continue;
        this.report((error as Error).message);
        await this.unlessStopped(
          new Promise((resolve) => setTimeout(resolve, 200).unref()),
        ).catch(() => undefined);
      }
    }
  }

  /** One XREAD, fed to the sink; throws only for Redis errors. */
  private async readOnce(): Promise<void> {
    if (this.recheck) {
      await this.probe(false);
      this.recheck = false;
      return;
    }
    const reply = (await this.unlessStopped(
      this.client.xread(
        'COUNT',
        this.readCount,
        'BLOCK',
        READ_BLOCK_MS,
        'STREAMS',
        this.keys.stream,
        this.lastId,
      ),
    )) as [string, RawEntry[]][] | null;
    if (this.stopped) return;
    if (!reply) {
      // Nothing for a while: make sure that is not a stream we cannot see.
      await this.probe(false);
      return;
    }
    for (const [id, fields] of reply[0][1]) {
      const entry = this.parse(id, fields);
      if (entry && entry.epoch !== this.sink.epoch) {
        // A new numbering began (Redis lost its data, or went back to an
        // older copy of it): reload this node as a node starting now would,
        // which tells every session to re-hydrate. What follows this entry
        // was read by the reload; if the reload fails, this entry is read
        // again.
        if (await this.probe(false)) return;
        // Redis still numbers in this node's epoch: not one of its events.
        this.report(
          `stream entry ${id} of ${this.keys.stream} belongs to epoch ${entry.epoch}, not to the current ${this.sink.epoch}; skipped it`,
        );
      } else if (entry && entry.seq <= this.sink.lastSeq) {
        // A new entry numbered at or below what this node has read: the
        // counter went back (a restart or failover that lost writes).
        if (await this.probe(true)) return;
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

  /**
   * Reads the stream's head (running the epoch check with what this node
   * knows, `rollback` if it saw the stream go back) and reloads if Redis is
   * in another epoch now; resolves `true` if it reloaded (or stopped).
   */
  private async probe(rollback: boolean): Promise<boolean> {
    const claim = { ...this.claim(), rollback };
    const head = await this.unlessStopped(
      fetchHead(this.client, this.keys, claim),
    );
    if (!head || this.stopped) return true;
    if (head.epoch !== this.sink.epoch) {
      await this.apply(head);
      return true;
    }
    if (!rollback && head.tailId && compareIds(head.tailId, this.lastId) < 0) {
      // The newest entry is older than the last one read: entries this
      // node read are gone, and new ones may have lower ids.
      return this.probe(true);
    }
    return false;
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

  /**
   * `command`, or `null` as soon as stop() is called (never waiting on a
   * reconnecting client); rejects if the connection came back meanwhile.
   */
  private unlessStopped<T>(command: Promise<T>): Promise<T | null> {
    command.catch(() => undefined);
    return Promise.race([command, this.stoppedSignal, this.interrupt.promise]);
  }
}
