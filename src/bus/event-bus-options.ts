import type { ResolvedCoreOptions } from '../core/core-options.js';
import type { TransportOption } from './transport-option.js';

/**
 * @internal The token of the module's options once resolved (checked, every
 * default applied, by `resolveEventBusOptions`): what every part injects.
 */
export const RESOLVED_OPTIONS = Symbol('LIVEBUS_RESOLVED_OPTIONS');

/** A worker to run, every field decided. */
export interface ResolvedWorkerOptions {
  /** The entry file, or `null` for the built-in activity worker. */
  readonly script: string | URL | null;
  readonly workerData: unknown;
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  readonly stopTimeoutMs: number;
  readonly maxPendingEvents: number;
}

/** Every option of the module, checked, with its default applied. */
export interface ResolvedEventBusOptions {
  readonly core: ResolvedCoreOptions;
  readonly transport: TransportOption;
  readonly namespace: string;
  readonly maxRequestBytes: number;
  readonly shutdownGraceMs: number;
  readonly sseKeepAliveMs: number;
  /** The worker `MonitorService` runs, or `null` for none. */
  readonly worker: ResolvedWorkerOptions | null;
}
