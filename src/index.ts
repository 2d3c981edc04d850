// The public API of nestjs-livebus. The worker-side helper, the activity
// monitor and the client have their own entry points: `nestjs-livebus/worker`,
// `nestjs-livebus/activity`, `nestjs-livebus/client`.

export { EventBusModule } from './event-bus/event-bus.module.js';
export {
  EventBusService,
  type EventBusServiceStats,
} from './event-bus/event-bus.service.js';
export { getEventBusOptionsToken } from './event-bus/event-bus.module-definition.js';
export type {
  ActivityWorkerSettings,
  EventBusModuleExtras,
  EventBusModuleOptions,
  EventBusOptionsFactory,
  MonitorWorkerOptions,
} from './event-bus/interfaces/event-bus-module-options.interface.js';
export {
  DEFAULT_INGEST_PATH,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_NAMESPACE,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SNAPSHOT_PATH,
  DEFAULT_SSE_KEEP_ALIVE_MS,
  DEFAULT_SSE_PATH,
} from './event-bus/event-bus.constants.js';

export {
  PredictionsGateway,
  GAP_MESSAGE,
  RESUMED_MESSAGE,
  SNAPSHOT_MESSAGE,
  SUBSCRIBE_MESSAGE,
} from './gateway/predictions.gateway.js';
export type { ResumedMeta, SnapshotMeta } from './delivery/session.js';
export { ClientRequestError } from './delivery/client-request.js';
export {
  EventStreamController,
  SSE_EPOCH_COOKIE,
} from './sse/event-stream.controller.js';
export {
  TransportUnavailableError,
  type EventTransport,
  type PublishReceipt,
  type TransportState,
} from './transport/event-transport.js';
export type { TransportOption } from './transport/create-transport.js';
export type { RedisTransportOptions } from './transport/redis.transport.js';
export {
  SnapshotController,
  SNAPSHOT_EPOCH_HEADER,
  SNAPSHOT_SEQ_HEADER,
} from './snapshot/snapshot.controller.js';
export {
  EventsController,
  type IngestResult,
} from './ingest/events.controller.js';
export {
  MonitorService,
  defaultActivityWorkerPath,
  type MonitorState,
  type MonitorStateEvent,
  type MonitorStats,
} from './monitor/monitor.service.js';
export type { MonitorCommand } from './monitor/worker-protocol.js';
// The default worker's events, for an app's event map (the monitor itself is
// in `nestjs-livebus/activity`).
export type {
  ActivityStatusEvent,
  InitialAppEvent,
  TransitionEvent,
} from './monitor/activity/activity-monitor.js';

export {
  EventBus,
  EVENT_BUS_CORE_DEFAULTS,
  type EventBusCoreOptions,
  type EventBusStats,
  type ResumePlan,
  type SubscribeOptions,
} from './core/event-bus.js';
export {
  Subscription,
  SubscriptionOverflowError,
  type CloseReason,
  type Gap,
  type OverflowPolicy,
} from './core/subscription.js';
export {
  BusClosedError,
  BusNotReadyError,
  EventTooLargeError,
  InvalidEventError,
} from './core/errors.js';
export { RESERVED_EVENT_TYPES } from './core/event-codec.js';
export type {
  AnyEventMap,
  BusEvent,
  BusMessage,
  EventMap,
  EventOf,
  EventType,
  SnapshotState,
} from './core/event.js';
