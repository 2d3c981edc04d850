import { BoundedQueue } from '../core/bounded-queue.js';

/** One client's writer, as the scheduler sees it. */
export interface ScheduledWriter {
  /** Writes what this client has waiting (at most one batch). */
  writeNow(): void;
}

/**
 * How long one slice of writes may hold the event loop, in ms. Between two
 * slices Node answers HTTP requests, reads socket messages and runs timers,
 * so one event fanned out to 10,000 clients never keeps a request waiting
 * much longer than this.
 */
export const SLICE_BUDGET_MS = 4;

// How many writers run between two looks at the clock (the clock costs more
// than a small write's bookkeeping).
const CLOCK_EVERY = 16;

const UNBOUNDED = Number.MAX_SAFE_INTEGER;

/**
 * Walks the clients that have something to write, one after the other, in
 * slices of at most {@link SLICE_BUDGET_MS}: the first slice as soon as the
 * current microtask ends (a synchronous burst of publishes still leaves as
 * one batch per client), the next ones each in its own turn of the event
 * loop. A client is in the list at most once and writes only its own queue,
 * in order, so slicing never reorders one client's events; a client that
 * asked for a snapshot (it just connected, or sent `subscribe`) goes before
 * the live fan-out, so its answer does not wait for every other client.
 */
export class WriteScheduler {
  // Rings kept and reused (no array that holds every writer already
  // served while fan-outs overlap); unbounded in count, but a client is in
  // each at most once.
  private readonly ready = new BoundedQueue<ScheduledWriter>(UNBOUNDED);
  private readonly urgent = new BoundedQueue<ScheduledWriter>(UNBOUNDED);
  private running = false;

  constructor(
    private readonly budgetMs = SLICE_BUDGET_MS,
    /**
     * Told of what a writer threw. The others are written all the same: one
     * client's failure must not stop delivery to every client. By default
     * the error is thrown again on its own, uncaught, as it would have been.
     */
    private readonly onWriterError: (error: unknown) => void = rethrowApart,
  ) {}

  /** Writers waiting for their turn. */
  get waiting(): number {
    return this.ready.length + this.urgent.length;
  }

  /** Queues `writer` (the caller makes sure it is queued once). */
  add(writer: ScheduledWriter, urgent = false): void {
    (urgent ? this.urgent : this.ready).push(writer);
    if (this.running) return;
    this.running = true;
    queueMicrotask(this.slice);
  }

  private readonly slice = (): void => {
    const deadline = performance.now() + this.budgetMs;
    let n = 0;
    for (;;) {
      const writer = this.next();
      if (writer === undefined) {
        this.running = false;
        return;
      }
      try {
        writer.writeNow();
      } catch (error) {
        this.onWriterError(error);
      }
      if (++n % CLOCK_EVERY === 0 && performance.now() >= deadline) break;
    }
    // More to write: let the event loop breathe first.
    setImmediate(this.slice);
  };

  private next(): ScheduledWriter | undefined {
    return this.urgent.shift() ?? this.ready.shift();
  }
}

function rethrowApart(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** The one scheduler of this process: every gateway and stream shares the event loop. */
export const sharedWriteScheduler = new WriteScheduler();
