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
import { encodeEvent, type EncodedEvent } from '../core/event-codec.js';
import type { BusEvent } from '../core/event.js';
import type {
  MonitorCommand,
  ParentToWorkerMessage,
  WorkerToParentMessage,
} from './worker-protocol.js';

/** What `MonitorService` hands every worker beside the app's own `workerData`. */
export interface LivebusWorkerData {
  /** The bus's `maxEventBytes`, so the worker refuses what the bus would. */
  readonly maxEventBytes: number;
  /** The `workerData` given in the module's `worker` option. */
  readonly data: unknown;
}

// Events queued in this tick leave as one message: one structured clone and
// one wake-up of the main thread per batch instead of per event.
const MAX_BATCH = 4096;
let pending: EncodedEvent[] = [];
let flushScheduled = false;

function port(): NonNullable<typeof parentPort> {
  if (!parentPort) {
    throw new Error(
      'nestjs-livebus/worker must be used inside a worker thread started by MonitorService (worker option of EventBusModule)',
    );
  }
  return parentPort;
}

function post(message: WorkerToParentMessage): void {
  port().postMessage(message);
}

function limits(): LivebusWorkerData {
  const data = workerData as Partial<LivebusWorkerData> | null;
  return {
    maxEventBytes: data?.maxEventBytes ?? 64 * 1024,
    data: data?.data,
  };
}

/** The `workerData` given in the module's `worker` option. */
export function getWorkerData<T = unknown>(): T {
  return limits().data as T;
}

/**
 * Publishes an event to the bus from this worker. The event is validated and
 * encoded here (a bad event throws `InvalidEventError` at once, in the
 * worker) and sent with the others of this tick in one message.
 */
export function publish(event: BusEvent): void {
  pending.push(encodeEvent(event, limits().maxEventBytes));
  if (pending.length >= MAX_BATCH) flush();
  else if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

/** Sends what `publish` queued now rather than at the end of the tick. */
export function flush(): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const events = pending;
  pending = [];
  post({ kind: 'livebus:batch', events });
}

/**
 * Tells `MonitorService` the worker started well. Only a worker that became
 * ready is restarted freely after a crash; one that keeps failing before it
 * is given up after a few tries.
 */
export function ready(): void {
  post({ kind: 'livebus:ready' });
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
}
