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
  private ready: ScheduledWriter[] = [];
  private readyAt = 0;
  private urgent: ScheduledWriter[] = [];
  private urgentAt = 0;
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
    return (
      this.ready.length - this.readyAt + this.urgent.length - this.urgentAt
    );
  }

  /** Queues `writer` (the caller makes sure it is queued once). */
  add(writer: ScheduledWriter, urgent = false): void {
    if (urgent) this.urgent.push(writer);
    else this.ready.push(writer);
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
    if (this.urgentAt < this.urgent.length) {
      const writer = this.urgent[this.urgentAt++];
      if (this.urgentAt === this.urgent.length) {
        this.urgent = [];
        this.urgentAt = 0;
      }
      return writer;
    }
    if (this.readyAt < this.ready.length) {
      const writer = this.ready[this.readyAt++];
      if (this.readyAt === this.ready.length) {
        this.ready = [];
        this.readyAt = 0;
      }
      return writer;
    }
    return undefined;
  }
}

function rethrowApart(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** The one scheduler of this process: every gateway and stream shares the event loop. */
export const sharedWriteScheduler = new WriteScheduler();
