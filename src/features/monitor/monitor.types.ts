import type { WorkerStopReason } from '../../protocol/worker-messages.js';

export type { WorkerStopReason };

/** Where the supervised worker is in its life. */
export type MonitorState =
  'idle' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

/** The `monitor` event the bus publishes whenever the worker's state changes. */
export type MonitorStateEvent = {
  type: 'monitor';
  state: MonitorState;
  /** Restarts since the application started. */
  restarts: number;
  /**
   * Why the worker stopped, when `restarting` or `failed`: a code, never
   * the worker's error text (the server's log has the details).
   */
  reason?: WorkerStopReason;
  /** When `restarting`: how long until the next start, in ms. */
  restartInMs?: number;
  at: string;
};

/** Counters of what the monitor relayed. */
export interface MonitorStats {
  /** Events relayed from the worker into the bus. */
  relayed: number;
  /** Batches the worker helper sent (each answered once in the bus). */
  batches: number;
  /** Worker events the bus refused as invalid (logged, rate-limited). */
  invalid: number;
  /**
   * Worker events its policy refused (a type not in `worker.types`, past
   * `worker.maxTypes`, refused by `worker.validate`) or, sent as plain
   * `postMessage` events, over `worker.eventsPerSecond` (logged).
   */
  refusedByPolicy: number;
  /** Worker messages that arrived after the bus closed (shutdown). */
  afterClose: number;
  /** Worker events the shared transport (Redis) could not take. */
  unavailable: number;
  /**
   * Events the worker helper dropped, oldest first, because the worker
   * published faster than the main thread relayed (logged).
   */
  droppedInWorker: number;
  /**
   * Protocol messages refused whole: a batch whose fields are wrong or that
   * came before the previous one was acknowledged, an unknown `livebus:`
   * kind, a bad log line, a message the port could not read (logged,
   * rate-limited).
   */
  malformed: number;
  /**
   * Plain events (posted with `parentPort.postMessage`) dropped, oldest
   * first, because more than `maxPendingEvents` waited to be relayed.
   */
  rawDropped: number;
  /**
   * Messages discarded unread because their worker went over
   * `maxRawMessagesPerSecond` (it is stopped and restarted: `flooding`).
   */
  overBudget: number;
  restarts: number;
}
