/**
 * The worker side of `MonitorService`: import from `nestjs-livebus/worker`
 * inside a worker thread it started.
 *
 * ```ts
 * import { publish, ready } from 'nestjs-livebus/worker';
 * ready();
 * publish({ type: 'prediction', label: 'Build' });
 * ```
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BoundedQueue } from '../core/bounded-queue.js';
import { encodeEvent, type EncodedEvent } from '../core/event-codec.js';
import { CORE_DEFAULTS } from '../core/core-options.js';
import type { BusEvent } from '../protocol/event-map.js';
import { idempotencyIdProblem } from '../protocol/idempotency.js';
import { InvalidEventError } from '../core/errors.js';
import {
  WORKER_DEFAULTS,
  type MonitorCommand,
  type ParentToWorkerMessage,
  type WorkerToParentMessage,
} from '../protocol/worker-messages.js';

/** What `MonitorService` hands every worker beside the app's own `workerData`. */
export interface LivebusWorkerData {
  /** The bus's `maxEventBytes`, so the worker refuses what the bus would. */
  readonly maxEventBytes: number;
  /**
   * Most events in one message to the main thread: half a subscriber
   * queue, so that one batch, delivered in one step, never overflows the
   * queue of a client that keeps up.
   */
  readonly maxBatch: number;
  /** Most events waiting in the worker; past it the oldest are dropped (and counted). */
  readonly maxPending: number;
  /** How often the helper tells the parent the worker's event loop turns, in ms. */
  readonly heartbeatIntervalMs: number;
  /** The `workerData` given in the module's `worker` option. */
  readonly data: unknown;
}

const settings = ((): LivebusWorkerData => {
  const data = workerData as Partial<LivebusWorkerData> | null;
  return {
    maxEventBytes: data?.maxEventBytes ?? CORE_DEFAULTS.maxEventBytes,
    maxBatch: data?.maxBatch ?? Math.floor(CORE_DEFAULTS.queueCapacity / 2),
    maxPending: data?.maxPending ?? WORKER_DEFAULTS.maxPendingEvents,
    heartbeatIntervalMs:
      data?.heartbeatIntervalMs ?? WORKER_DEFAULTS.heartbeatIntervalMs,
    data: data?.data,
  };
})();

// Flow control: one batch crosses to the main thread at a time and the next
// leaves when it has been relayed into the bus (the parent acknowledges), so
// a worker faster than the main thread never piles messages up in the port.
// What waits meanwhile stays here, bounded.
const pending = new BoundedQueue<EncodedEvent & { id?: string }>(
  settings.maxPending,
);
let inFlight = false;
let flushScheduled = false;
let droppedSinceLastBatch = 0;
let drainWaiters: (() => void)[] = [];
let listening = false;
let commandsWanted = false;

function port(): NonNullable<typeof parentPort> {
  if (!parentPort) {
    throw new Error(
      'nestjs-livebus/worker must be used inside a worker thread started by MonitorService (worker option of EventBusModule)',
    );
  }
  if (!listening) {
    listening = true;
    parentPort.on('message', (message: ParentToWorkerMessage) => {
      if (message?.kind === 'livebus:ack') {
        inFlight = false;
        send();
      }
    });
    startHeartbeat(parentPort);
  }
  return parentPort;
}

/**
 * From the helper's first use on, a heartbeat now and every
 * `heartbeatIntervalMs` from a timer: a worker whose event loop is blocked
 * (a busy loop) stops sending it, and the parent restarts it (`hung`). The
 * timer does not keep the thread alive.
 */
function startHeartbeat(channel: NonNullable<typeof parentPort>): void {
  const beat = (): void =>
    channel.postMessage({
      kind: 'livebus:heartbeat',
    } satisfies WorkerToParentMessage);
  beat();
  setInterval(beat, settings.heartbeatIntervalMs).unref();
}

function post(message: WorkerToParentMessage): void {
  port().postMessage(message);
}

/** Sends the next batch if none is on its way; wakes `drained()` waiters. */
function send(): void {
  const channel = port();
  if (!inFlight && pending.length > 0) {
    inFlight = true;
    const dropped = droppedSinceLastBatch;
    droppedSinceLastBatch = 0;
    const batch = pending.take(settings.maxBatch);
    const events = batch.map(({ type, json }) => ({ type, json }));
    post(
      batch.some((event) => event.id !== undefined)
        ? {
            kind: 'livebus:batch',
            events,
            ids: batch.map((event) => event.id ?? null),
            dropped,
          }
        : { kind: 'livebus:batch', events, dropped },
    );
  }
  if (pending.length === 0 && drainWaiters.length > 0) {
    const waiters = drainWaiters;
    drainWaiters = [];
    for (const wake of waiters) wake();
  }
  // The port keeps the thread alive only while something is on its way, so
  // a worker that has published its last event can still exit.
  if (inFlight || pending.length > 0 || commandsWanted) channel.ref();
  else channel.unref();
}

/** The `workerData` given in the module's `worker` option. */
export function getWorkerData<T = unknown>(): T {
  return settings.data as T;
}

/**
 * Publishes an event to the bus from this worker. The event is validated and
 * encoded here (a bad event throws `InvalidEventError` at once, in the
 * worker) and leaves with the others published meanwhile in one message.
 *
 * Returns `false` once the worker is ahead of the main thread (a full batch
 * is waiting): a producer that can wait should `await drained()` before
 * publishing more. One that does not is still bounded: past `maxPending`
 * waiting events the oldest are dropped, counted and reported to the parent.
 *
 * `options.id` makes it idempotent, as `EventBusService.publish(event,
 * { id })`: an event published again with an id stored within the bus's
 * `idempotencyWindowMs` (by this worker, a restarted one, or any node with
 * Redis) is not published again. A bad id throws `InvalidEventError` here.
 */
export function publish(event: BusEvent, options?: { id?: string }): boolean {
  const id = options?.id;
  if (id !== undefined) {
    const problem = idempotencyIdProblem(id);
    if (problem) throw new InvalidEventError('options.id', problem);
  }
  const encoded = encodeEvent(event, settings.maxEventBytes);
  if (pending.push(id === undefined ? encoded : { ...encoded, id })) {
    droppedSinceLastBatch++;
  }
  if (!flushScheduled) {
    flushScheduled = true;
    // Events published in this tick leave together.
    setImmediate(flush);
  }
  return pending.length < settings.maxBatch;
}

/** Sends what `publish` queued now rather than at the end of the tick. */
export function flush(): void {
  flushScheduled = false;
  send();
}

/**
 * Resolves once every event published so far has left the worker (handed
 * to the main thread): the moment to publish more after `publish` returned
 * `false`.
 */
export function drained(): Promise<void> {
  if (pending.length === 0) return Promise.resolve();
  return new Promise((resolve) => drainWaiters.push(resolve));
}

/**
 * Tells `MonitorService` the worker started well; call it within the
 * worker option's `startTimeoutMs` (30 s by default), or the worker is
 * stopped as one that never started. Only a worker that became ready is
 * restarted freely after a crash; one that keeps failing before it is given
 * up after a few tries. From the helper's first use on, it also sends a
 * heartbeat from a timer: keep the worker's event loop turning (no
 * synchronous work longer than `hangTimeoutMs`), or it is restarted as hung.
 */
export function ready(): void {
  post({ kind: 'livebus:ready' });
  send();
}

/** Sends a log line to the parent, which logs it with Nest's Logger. */
export function log(level: 'warn' | 'info', message: string): void {
  post({ kind: 'livebus:log', level, message });
}

/** Runs `handler` for every `pause`/`resume` sent by `MonitorService`. */
export function onCommand(handler: (command: MonitorCommand) => void): void {
  port().on('message', (message: ParentToWorkerMessage) => {
    if (message?.kind === 'livebus:control') handler(message.command);
  });
  // Commands come at any time: keep listening.
  commandsWanted = true;
  port().ref();
}
