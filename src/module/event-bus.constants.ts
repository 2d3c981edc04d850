/** Default route of the snapshot endpoint. */
export const DEFAULT_SNAPSHOT_PATH = 'api/ws/snapshot';
/** Default route of the Server-Sent Events stream. */
export const DEFAULT_SSE_PATH = 'api/events/stream';

/** @internal Injection token of the module options; use `getEventBusOptionsToken()`. */
export const EVENT_BUS_OPTIONS = Symbol('EVENT_BUS_OPTIONS');

/** @internal The module's HTTP routes that the origins policy (CORS) covers. */
export const LIVEBUS_ROUTES = Symbol('LIVEBUS_ROUTES');
