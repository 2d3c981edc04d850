// The public API of nestjs-livebus: what an app imports. The framework-free
// core, the worker-side helper, the activity monitor, the client and the
// transport test kit have their own entry points: `nestjs-livebus/core`,
// `/worker`, `/activity`, `/client`, `/testing`.

export { EventBusModule } from './module/event-bus.module.js';
export { getEventBusOptionsToken } from './module/event-bus.module-definition.js';
export type {
  ActivityWorkerOptions,
  ActivityWorkerSettings,
  EventBusIngestOptions,
  EventBusLimitsOptions,
  EventBusOriginsOptions,
  PublishPolicyOptions,
  EventBusModuleExtras,
  EventBusModuleOptions,
  EventBusOptionsFactory,
  MonitorWorkerOptions,
} from './module/event-bus-options.interface.js';
export type {
  EventBusInspectorOptions,
  EventBusMetricsOptions,
  MetricsRegistry,
} from './module/feature-options.interface.js';
export type { LivebusAuthOptions } from './module/auth-options.interface.js';

export {
  EventBusService,
  type EventBusServiceStats,
  type PublishOptions,
} from './bus/event-bus.service.js';
export { LivebusDrain } from './bus/livebus-drain.js';
export type {
  EventValidator,
  LimitContext,
  LimitKind,
  PrincipalKey,
  PublishedEvent,
  TypeRule,
} from './bus/access-options.js';
export {
  LivebusLimits,
  type LimitsStats,
} from './features/limits/livebus-limits.service.js';
export type { ConnectionLimitsStats } from './features/limits/connection-limits.js';
export type {
  IngestLimitsStats,
  WorkerLimitsStats,
} from './features/limits/source-limits.js';
export {
  LivebusOrigins,
  type OriginsStats,
} from './features/origins/livebus-origins.service.js';
export {
  LivebusStatsService,
  type LivebusSample,
} from './features/stats/livebus-stats.service.js';
export type {
  ClientKindStats,
  DeliverySnapshot,
} from './delivery/delivery-stats.js';
export type {
  ClientKind,
  DisconnectReason,
} from './delivery/delivery-observer.js';
export { PredictionsGateway } from './features/gateway/predictions.gateway.js';
export {
  HANDSHAKE_PATTERN,
  LivebusAuth,
  type AuthState,
} from './features/auth/livebus-auth.service.js';
export {
  getLivebusEntry,
  type LivebusEntryKind,
} from './features/auth/livebus-entry.js';
export {
  AccessRefusedError,
  type AccessCode,
} from './features/auth/access-refused.error.js';
export {
  MonitorService,
  type MonitorState,
  type MonitorStateEvent,
  type MonitorStats,
  type WorkerStopReason,
} from './features/monitor/monitor.service.js';
export {
  SNAPSHOT_EPOCH_HEADER,
  SNAPSHOT_SEQ_HEADER,
} from './features/snapshot/snapshot.controller.js';
export type { IngestResult } from './features/ingest/events.controller.js';
export { ClientRequestError } from './delivery/client-request.js';

export {
  TransportUnavailableError,
  type AppendOptions,
  type EventTransport,
  type PublishReceipt,
  type TransportSink,
  type TransportState,
  type TransportStats,
} from './transports/event-transport.js';
export { getEventTransportToken } from './bus/event-transport.token.js';
export type {
  TransportClassProvider,
  TransportFactoryProvider,
  TransportOption,
} from './bus/transport-option.js';
export type { RedisTransportOptions } from './transports/redis/redis.transport.js';

export {
  BusClosedError,
  BusNotReadyError,
  EventTooLargeError,
  InvalidEventError,
} from './core/errors.js';
export {
  SubscriptionOverflowError,
  type CloseReason,
  type OverflowPolicy,
  type Subscription,
} from './core/subscription.js';
export type { SubscribeOptions } from './core/livebus-core.js';
export type { BusMessage, SnapshotState } from './core/bus-message.js';
export { IdempotencyWindow } from './core/idempotency-window.js';

export * from './protocol/index.js';

// The default worker's events, for an app's event map.
export type {
  ActivityStatusEvent,
  InitialAppEvent,
  TransitionEvent,
} from './activity/activity-monitor.js';
