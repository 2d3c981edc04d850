import { expect } from '@jest/globals';
import { LivebusCore } from '../core/livebus-core.js';
import type { EncodedEvent } from '../core/event-codec.js';
import type { BusMessage } from '../core/bus-message.js';
import {
  TransportUnavailableError,
  type EventTransport,
} from '../transports/event-transport.js';

/** A type the suite's buses never keep in their snapshot. */
export const TRANSIENT_TYPE = 'conformance.transient';

/** The suite's buses remember idempotency ids this long (ms)... */
export const IDEMPOTENCY_WINDOW_MS = 1000;
/** ...and at most this many. */
export const IDEMPOTENCY_MAX_IDS = 20;

/** One node of the suite: a bus of its own, fed by one transport. */
export interface ConformanceNode {
  readonly bus: LivebusCore;
  readonly transport: EventTransport;
  /** How many times the bus restarted in a new epoch since the node was made. */
  readonly resets: () => number;
  /** An accepted (validated, encoded) event of `type` carrying `n`. */
  event(type: string, n: number): EncodedEvent;
  /** Every event the bus delivered since the node was made, oldest first. */
  received(): BusMessage[];
}

/** Makes nodes and stops every one of them, whatever a test left behind. */
export class ConformanceNodes {
  private readonly made: ConformanceNode[] = [];

  constructor(
    private readonly create: () => EventTransport | Promise<EventTransport>,
  ) {}

  /** A node whose transport is created but not started. */
  async make(): Promise<ConformanceNode> {
    const bus = new LivebusCore({
      historyMaxEvents: 1000,
      queueCapacity: 1000,
      transientTypes: [TRANSIENT_TYPE],
      idempotencyWindowMs: IDEMPOTENCY_WINDOW_MS,
      idempotencyMaxIds: IDEMPOTENCY_MAX_IDS,
    });
    const transport = await this.create();
    const subscription = bus.subscribe();
    let resets = 0;
    subscription.onReset(() => resets++);
    // Recorded as delivered, so that a restart's clearing of the queue
    // loses nothing here.
    const taken: BusMessage[] = [];
    subscription.onReadable(() => taken.push(...subscription.take()));
    const node: ConformanceNode = {
      bus,
      transport,
      resets: () => resets,
      event: (type, n) => bus.accept({ type, n }),
      received: () => [...taken],
    };
    this.made.push(node);
    return node;
  }

  /** A node whose transport has started. */
  async start(): Promise<ConformanceNode> {
    const node = await this.make();
    await node.transport.start(node.bus);
    return node;
  }

  /** Stops every node made since the last call. */
  async stopAll(): Promise<void> {
    for (const node of this.made.splice(0)) {
      node.bus.close();
      await node.transport.stop().catch(() => undefined);
    }
  }
}

/** Resolves once `predicate` holds; rejects after `timeoutMs`, naming `what`. */
export async function until(
  predicate: () => boolean,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** How `promise` settled: its value or its error. */
export function settled<T>(
  promise: Promise<T>,
): Promise<{ value: T } | { error: unknown }> {
  return promise.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** What keeps the process alive right now, counted by kind (sockets, timers...). */
function handlesNow(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) {
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  return counts;
}

/**
 * What keeps the process alive, once what earlier cases were closing is
 * gone (the same counts twice, 50 ms apart): the baseline a case compares
 * with after its transport stopped.
 */
export async function activeHandles(): Promise<Map<string, number>> {
  let last = handlesNow();
  for (let i = 0; i < 40; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const now = handlesNow();
    const same =
      now.size === last.size &&
      [...now].every(([kind, count]) => last.get(kind) === count);
    if (same) return now;
    last = now;
  }
  return last;
}

/**
 * Resolves once nothing keeps the process alive that did not before
 * (closing sockets may take a few ticks); rejects naming what is left.
 */
export async function noHandlesLeftSince(
  before: Map<string, number>,
  timeoutMs = 3000,
): Promise<void> {
  const extra = (): string[] =>
    [...handlesNow()]
      .filter(([kind, count]) => count > (before.get(kind) ?? 0))
      .map(([kind, count]) => `${kind} ×${count - (before.get(kind) ?? 0)}`);
  await until(
    () => extra().length === 0,
    timeoutMs,
    'the transport to let go of its handles',
  ).catch(() => {
    throw new Error(`the transport left handles behind: ${extra().join(', ')}`);
  });
}

/** `[seq, type, json]` of each message, to compare with what was appended. */
export function describeMessages(
  messages: readonly { seq: number; type: string; json: string }[],
): [number, string, string][] {
  return messages.map(({ seq, type, json }) => [seq, type, json]);
}

/** Asserts that an append was refused with `TransportUnavailableError`. */
export function expectUnavailable(
  outcome: { value: unknown } | { error: unknown },
  maybePublished?: boolean,
): TransportUnavailableError {
  expect(outcome).toEqual({ error: expect.any(TransportUnavailableError) });
  const error = (outcome as { error: TransportUnavailableError }).error;
  expect(typeof error.maybePublished).toBe('boolean');
  if (maybePublished !== undefined) {
    expect(error.maybePublished).toBe(maybePublished);
  }
  return error;
}
