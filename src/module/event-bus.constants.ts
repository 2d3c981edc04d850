/** Default route of the snapshot endpoint. */
export const DEFAULT_SNAPSHOT_PATH = 'api/ws/snapshot';
/** Default route of the ingest endpoint. */
export const DEFAULT_INGEST_PATH = 'api/events';
/** Default route of the Server-Sent Events stream. */
export const DEFAULT_SSE_PATH = 'api/events/stream';
/** Default interval of the SSE keep-alive comment, in ms. */
export const DEFAULT_SSE_KEEP_ALIVE_MS = 15_000;
/** Default time shutdown waits for clients' last packets, in ms. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 2000;
/** Default ingest body limit in bytes: Express's own JSON limit (100 kB), so the two agree. */
export const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024;

/** @internal Injection token of the module options; use `getEventBusOptionsToken()`. */
export const EVENT_BUS_OPTIONS = Symbol('EVENT_BUS_OPTIONS');
