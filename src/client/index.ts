// The client entry point: `nestjs-livebus/client`.
export {
  LivebusClient,
  type AuthFields,
  type AuthOption,
  type CloseNotice,
  type ConnectionState,
  type EventMeta,
  type GapNotice,
  type LivebusClientOptions,
  type ResetReason,
} from './livebus-client.js';
export { gapOnlyConflated } from '../protocol/messages.js';
export type {
  AnyEventMap,
  EventMap,
  EventOf,
  EventType,
} from '../protocol/event-map.js';
export {
  CLOSE_CODES,
  CLOSE_MESSAGE,
  type CloseCode,
} from '../protocol/codes.js';
