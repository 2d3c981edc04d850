import { isDeepStrictEqual } from 'node:util';
import type { Socket } from 'socket.io-client';
import {
  TransportUnavailableError,
  type EventBusService,
  type PublishReceipt,
} from '../../src/index.js';

/** What the chaos publishers publish. */
export interface ChaosEvent {
  type: string;
  node: string;
  n: number;
}

/** A publish that was stored (or found stored: `duplicate`). */
export interface Stored {
  id: string;
  at: number;
  receipt: PublishReceipt;
}

/**
 * Publishes continuously on one node, each event with its own idempotency
 * id, and publishes it again (same id) after every `TransportUnavailable`
 * until it is stored: what the README tells a publisher to do.
 */
export class ChaosPublisher {
  /** Every success, in order. */
  readonly stored: Stored[] = [];
  /** Attempts refused, by whether they may have been published. */
  readonly refused = { maybePublished: 0, notPublished: 0 };
  private n = 0;
  private running = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(
    readonly node: string,
    private readonly bus: EventBusService,
    private readonly pauseMs = 5,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the event under way is stored. */
  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  /** The first success after `time` that stored something new. */
  firstStoredAfter(time: number): Stored | undefined {
    return this.stored.find((s) => s.at > time && !s.receipt.duplicate);
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.n += 1;
      const id = `${this.node}-${this.n}`;
      const event = { type: `k${this.n % 5}`, node: this.node, n: this.n };
      for (;;) {
        try {
          const receipt = await this.bus.publish(event, { id });
          this.stored.push({ id, at: Date.now(), receipt });
          break;
        } catch (error) {
          if (!(error instanceof TransportUnavailableError)) throw error;
          if (error.maybePublished) this.refused.maybePublished++;
          else this.refused.notPublished++;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      await new Promise((resolve) => setTimeout(resolve, this.pauseMs));
    }
  }
}

/**
 * A raw Socket.IO client that keeps its state from the snapshot and the
 * events, and checks the promise on every message: each event is the next
 * seq after the snapshot, the previous event or a `gap` (which it answers
 * by re-hydrating, as `LivebusClient` does), so a missed event is always
 * accounted for by a gap or a reset, and none comes twice.
 */
export class ChaosClient {
  epoch = '';
  lastSeq = 0;
  state: Record<string, unknown> = {};
  resets = 0;
  gaps = 0;
  /** Broken promises: a hole, a duplicate, a gap that does not fit. */
  readonly violations: string[] = [];
  /** For each event (`node-n`), the epochs it was delivered in. */
  readonly delivered = new Map<string, string[]>();
  private hydrating = false;

  constructor(
    readonly name: string,
    readonly socket: Socket,
  ) {
    socket.on(
      'snapshot',
      (
        events: Record<string, unknown>,
        meta: { seq: number; epoch: string; reset: boolean },
      ) => {
        if (meta.reset) this.resets++;
        if (this.epoch === meta.epoch && meta.seq < this.lastSeq) {
          this.violations.push(
            `${name}: a snapshot at ${meta.seq} behind ${this.lastSeq} in the same epoch`,
          );
        }
        this.state = { ...events };
        this.epoch = meta.epoch;
        this.lastSeq = meta.seq;
        this.hydrating = false;
      },
    );
    socket.on('gap', (gap: { fromSeq: number; toSeq: number }) => {
      this.gaps++;
      if (gap.fromSeq !== this.lastSeq + 1) {
        this.violations.push(
          `${name}: a gap from ${gap.fromSeq} after ${this.lastSeq}`,
        );
      }
      this.lastSeq = gap.toSeq;
      if (!this.hydrating) {
        this.hydrating = true;
        socket.emit('subscribe', { types: null });
      }
    });
    socket.onAny((type: string, event: ChaosEvent, meta: { seq: number }) => {
      if (type === 'snapshot' || type === 'gap' || type === 'resumed') return;
      if (meta.seq !== this.lastSeq + 1) {
        this.violations.push(
          `${name}: ${type} #${meta.seq} after ${this.lastSeq} (${meta.seq <= this.lastSeq ? 'a duplicate' : 'a hole no gap or reset told'})`,
        );
      }
      this.lastSeq = meta.seq;
      this.state[type] = event;
      const key = `${event.node}-${event.n}`;
      const epochs = this.delivered.get(key) ?? [];
      if (epochs.includes(this.epoch)) {
        this.violations.push(`${name}: ${key} delivered twice in one epoch`);
      }
      epochs.push(this.epoch);
      this.delivered.set(key, epochs);
    });
  }

  /** Whether it is at `epoch`/`seq` with `snapshot` as its state. */
  matches(epoch: string, seq: number, snapshot: unknown): boolean {
    return (
      this.epoch === epoch &&
      this.lastSeq === seq &&
      isDeepStrictEqual(this.state, snapshot)
    );
  }
}
