import type { IncomingMessage } from 'node:http';
import type { Socket } from 'socket.io';

/** Where a limit is asked about: a Socket.IO handshake, an SSE stream, an ingest request. */
export type LimitKind = 'socketio' | 'sse' | 'ingest';

/**
 * What the `limits.principal` function is given to name who is asking.
 * (When authentication attaches a principal to the socket or the request,
 * the function reads it from here: `context.socket?.data`, `context.request`.)
 */
export interface LimitContext {
  readonly kind: LimitKind;
  /** The client's address, as `limits.address` reads it (by default the peer's IP). */
  readonly address: string;
  /** The HTTP request: the Socket.IO handshake's (`socket.request`) or the route's. */
  readonly request: IncomingMessage;
  /** The connecting socket, for `socketio`; else `null`. */
  readonly socket: Socket | null;
}

/** Names the principal a limit counts for, or `null` for none (only the totals apply). */
export type PrincipalKey = (context: LimitContext) => string | null;

/** The connection and message limits, every field decided. `Infinity` is "no limit". */
export interface ResolvedLimitsOptions {
  readonly maxConnections: number;
  readonly maxConnectionsPerPrincipal: number;
  /** New connections (Socket.IO and SSE) per second per address; the bucket holds 2 s worth. */
  readonly connectionsPerSecond: number;
  /** `subscribe` messages per second per socket; the bucket holds 2 s worth. */
  readonly subscribesPerSecond: number;
  /** Most addresses and principals a rate table tracks at once. */
  readonly maxTrackedKeys: number;
  readonly address: (request: IncomingMessage) => string;
  readonly principal: PrincipalKey;
}

/** A type a source may publish: an exact name, `'prefix*'`, or a pattern. */
export type TypeRule = string | RegExp;

/** The event a validate hook is asked about: a JSON object with a valid type. */
export type PublishedEvent = Readonly<Record<string, unknown>> & {
  readonly type: string;
};

/**
 * A per-event check of a source: `true` (or nothing) accepts, `false` or a
 * reason (a string) refuses.
 */
export type EventValidator = (
  event: PublishedEvent,
) => boolean | string | undefined | void;

/** What one publishing source (ingest, the worker) may write, every field decided. */
export interface ResolvedPublishPolicy {
  /** The option that configures it, for messages: `'ingest'`, `'worker'`. */
  readonly source: string;
  /** `'*'` for any type (except `reserved`), else the rules. */
  readonly types: '*' | readonly TypeRule[];
  /** Types a `'*'` source may not write: the ones other sources declared. */
  readonly reserved: readonly TypeRule[];
  /** Most distinct types it may put in the snapshot. */
  readonly maxTypes: number;
  readonly validate: EventValidator | null;
  /** Events per second (per principal for ingest); the bucket holds 2 s worth. */
  readonly eventsPerSecond: number;
}

/** The ingest endpoint, when on. */
export interface ResolvedIngestOptions extends ResolvedPublishPolicy {
  /** Its route, without leading or trailing `/`. */
  readonly path: string;
  /** Requests per second per principal; the bucket holds 2 s worth. */
  readonly requestsPerSecond: number;
}

/** Which browser origins may use the module's sockets and HTTP routes. */
export interface ResolvedOriginsOptions {
  /** `'*'` for any, the listed origins, or the app's own test. */
  readonly allow: '*' | readonly TypeRule[] | ((origin: string) => boolean);
  /** A page of this same host (its `Origin` names the request's `Host`). */
  readonly sameOrigin: boolean;
  /** A request without an `Origin` header (not a browser page). */
  readonly allowMissing: boolean;
  /** CORS: `Access-Control-Allow-Credentials: true` (cookies). */
  readonly credentials: boolean;
  /** CORS: how long a browser may cache a preflight, in seconds. */
  readonly maxAgeSeconds: number;
}
