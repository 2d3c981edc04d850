/**
 * Why the server refused or ended a connection: one small table shared by
 * Socket.IO (`connect_error` data, and the `livebus:close` notice before a
 * server-side disconnect), SSE (its last message, `event: livebus:close`) and
 * the client, and counted in the metrics. A code is stable; its message is
 * for people.
 */
export const CLOSE_CODES = {
  /** The server is shutting down or restarting: reconnect after a delay. */
  server_shutdown: { reconnect: true },
  /** The client read too slowly (overflow policy `disconnect`): reconnect and resume. */
  slow_client: { reconnect: true },
  /** No valid credential: reconnect only with a new one. */
  unauthorized: { reconnect: false },
  /** The credential is valid but not allowed this: do not retry as is. */
  forbidden: { reconnect: false },
  /** The credential expired and was not refreshed in time: reconnect with a fresh one. */
  auth_expired: { reconnect: true },
  /** Too many connections or requests: reconnect after the delay the server gives. */
  rate_limited: { reconnect: true },
  /** The page's origin is not allowed to connect. */
  origin_not_allowed: { reconnect: false },
  /** The handshake or a message was malformed or over a limit: fix the request. */
  bad_request: { reconnect: false },
} as const satisfies Record<string, { reconnect: boolean }>;

/** A stable code from {@link CLOSE_CODES}. */
export type CloseCode = keyof typeof CLOSE_CODES;

/** Socket.IO message the server sends just before it disconnects a client. */
export const CLOSE_MESSAGE = 'livebus:close';

/** What a refusal or a close notice carries. */
export interface CloseNotice {
  readonly code: CloseCode;
  readonly message: string;
  /** When to try again, for `rate_limited` and `server_shutdown`, in ms. */
  readonly retryAfterMs?: number;
}

/** Whether `value` is one of the {@link CLOSE_CODES}. */
export function isCloseCode(value: unknown): value is CloseCode {
  return (
    typeof value === 'string' &&
    Object.prototype.hasOwnProperty.call(CLOSE_CODES, value)
  );
}
