// The README's "Write your own transport" example, verbatim but for the
// import path: the conformance suite runs against it.
import { appendFile } from 'node:fs/promises';
import {
  IdempotencyWindow,
  TransportUnavailableError,
  type AppendOptions,
  type EventTransport,
  type PublishReceipt,
  type TransportSink,
  type TransportState,
} from '../../src/index.js';

/** One process; every batch is appended to an audit file before clients see it. */
export class AuditedTransport implements EventTransport {
  readonly sharedSequence = false; // numbered here, by this process alone
  state: TransportState = 'starting';
  private sink: TransportSink | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private ids: IdempotencyWindow<PublishReceipt> | null = null;

  constructor(private readonly path: string) {}

  async start(sink: TransportSink): Promise<void> {
    this.sink = sink;
    const { idempotencyWindowMs, idempotencyMaxIds } = sink.options;
    this.ids = new IdempotencyWindow(idempotencyWindowMs, idempotencyMaxIds);
    this.state = 'ready';
  }

  append(
    events: readonly { type: string; json: string }[],
    options?: AppendOptions,
  ): Promise<PublishReceipt> {
    const sink = this.sink;
    if (!sink) {
      return Promise.reject(
        new TransportUnavailableError(`the transport is ${this.state}`),
      );
    }
    const id = options?.id;
    // One write at a time, so batches are numbered in call order (and an
    // id is looked up and stored in one step).
    const appended = this.tail.then(async () => {
      const stored = id === undefined ? undefined : this.ids?.get(id);
      if (stored) return { ...stored, duplicate: true };
      const lines = events.map((event) => `${event.json}\n`).join('');
      try {
        await appendFile(this.path, lines);
      } catch (error) {
        const message = 'the audit file refused them: nothing was published';
        throw new TransportUnavailableError(message, { cause: error });
      }
      const receipt = { seq: sink.lastSeq + 1, epoch: sink.epoch };
      for (const event of events) sink.sequence(event);
      if (id !== undefined) this.ids?.remember(id, receipt);
      return receipt;
    });
    this.tail = appended.catch(() => undefined);
    return appended;
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.sink = null;
    await this.tail;
  }
}
