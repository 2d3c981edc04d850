/** The defaults of the activity monitor's settings, shared by the module and the worker. */
export const ACTIVITY_DEFAULTS = {
  /** Time between two polls of host activity, in ms. */
  pollIntervalMs: 2000,
  /** How long a new dominant application must hold before a transition fires, in ms. */
  transitionThresholdMs: 6000,
} as const;

/** The types the activity worker publishes (and, by default, the only ones it may). */
export const ACTIVITY_EVENT_TYPES: readonly string[] = [
  'status',
  'initial_app',
  'transition',
];

/** Settings of the activity worker (`worker: { activity: { ... } }`). */
export interface ActivityWorkerSettings {
  /** Time between two polls of host activity, in ms. @default 2000 */
  pollIntervalMs?: number;
  /** How long a new dominant application must hold before a transition fires, in ms. @default 6000 */
  transitionThresholdMs?: number;
}
