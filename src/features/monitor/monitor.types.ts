/** Where the supervised worker is in its life. */
export type MonitorState =
  'idle' | 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

/** The `monitor` event the bus publishes whenever the worker's state changes. */
export type MonitorStateEvent = {
  type: 'monitor';
  state: MonitorState;
  /** Restarts since the application started. */
  restarts: number;
  /** Why the worker stopped, when it crashed. */
  error?: string;
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
  /** Worker messages the bus refused as invalid (logged). */
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
  restarts: number;
}
