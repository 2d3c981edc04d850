// The framework-free core, for use without Nest: `nestjs-livebus/core`.
export { LivebusCore } from './livebus-core.js';
export type { EventBusStats, SubscribeOptions } from './core-types.js';
export type { TypeFilter } from './type-filter.js';
export type { ResumePlan } from './resume-plan.js';
export {
  CORE_DEFAULTS,
  type LivebusCoreOptions,
  type ResolvedCoreOptions,
} from './core-options.js';
export {
  Subscription,
  SubscriptionOverflowError,
  type CloseReason,
  type OverflowPolicy,
} from './subscription.js';
export type { BusMessage, SnapshotState } from './bus-message.js';
export { IdempotencyWindow } from './idempotency-window.js';
export {
  BusClosedError,
  EventTooLargeError,
  InvalidEventError,
} from './errors.js';
export type { Gap } from '../protocol/messages.js';
export type {
  AnyEventMap,
  BusEvent,
  EventMap,
  EventOf,
  EventType,
} from '../protocol/event-map.js';
