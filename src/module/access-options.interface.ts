import type { IncomingMessage } from 'node:http';
import type {
  EventValidator,
  LimitContext,
  PrincipalKey,
  PublishedEvent,
  TypeRule,
} from '../bus/access-options.js';

export type {
  EventValidator,
  LimitContext,
  PrincipalKey,
  PublishedEvent,
  TypeRule,
};

/**
 * What one publishing source (the ingest endpoint, the worker) may write,
 * and how fast. The defaults keep one source from evicting another's state:
 * see the README, "Origins and limits".
 */
export interface PublishPolicyOptions {
  /**
   * The types it may publish: exact names, `'prefix*'` (e.g. `'sensor.*'`),
   * or RegExps; `'*'` for any type except those another source declares
   * (the worker's list, the monitor's `monitor`).
   * @default '*' (the activity worker: its own `status`, `initial_app`, `transition`)
   */
  types?: '*' | readonly TypeRule[];
  /**
   * Most distinct types it may put in the snapshot; a new type past it is
   * refused (`type_limit_reached`), so that it can never push other types
   * out (`snapshotMaxTypes` evicts the least recently updated).
   * @default 100, or a quarter of `snapshotMaxTypes` if smaller; no limit when `types` lists exact names only
   */
  maxTypes?: number;
  /**
   * Asked about each event whose type is allowed: `true` (or nothing)
   * accepts, `false` or a reason refuses (`400 invalid_event` for ingest;
   * counted and logged for the worker). Runs on the main thread, per event.
   */
  validate?: EventValidator;
  /**
   * Events per second (ingest: per principal); the bucket holds 2 s worth.
   * `Infinity` for no limit.
   * @default ingest 500; the worker Infinity (the app's own code, already held by the helper's flow control)
   */
  eventsPerSecond?: number;
}

/** The ingest endpoint (`POST`), off unless given: `ingest: true` or these. */
export interface EventBusIngestOptions extends PublishPolicyOptions {
  /** Its route. @default 'api/events' */
  path?: string;
  /** Requests per second per principal; the bucket holds 2 s worth. `Infinity` for none. @default 50 */
  requestsPerSecond?: number;
}

/**
 * Connection and message limits. Refusals are `connect_error` (or `429`)
 * with the code `rate_limited` and `retryAfterMs`; `Infinity` turns one off.
 */
export interface EventBusLimitsOptions {
  /** Most connections at once on this node, Socket.IO and SSE together. @default 10000 */
  maxConnections?: number;
  /** Most connections of one principal (`principal`, by default the address). @default 100 */
  maxConnectionsPerPrincipal?: number;
  /** New connections per second per address (the bucket holds 2 s worth). @default 20 */
  connectionsPerSecond?: number;
  /** `subscribe` messages per second per socket (the bucket holds 2 s worth). @default 5 */
  subscribesPerSecond?: number;
  /** Most addresses or principals a rate table tracks at once (idle ones are forgotten first). @default 10000 */
  maxTrackedKeys?: number;
  /**
   * The client's address. Behind a reverse proxy every client has the
   * proxy's: read the header your proxy sets (and only it).
   * @default the peer's IP (`request.socket.remoteAddress`)
   */
  address?: (request: IncomingMessage) => string;
  /**
   * Who a connection or an ingest request counts for; `null` counts it
   * for no one (only the totals apply). @default the address
   */
  principal?: PrincipalKey;
}

/**
 * Which browser origins may open a socket (WebSocket or long-polling) or
 * call the HTTP routes. A request without an `Origin` header is not a
 * browser page and is allowed; a page of this same host is allowed.
 */
export interface EventBusOriginsOptions {
  /** Other origins allowed: `'https://a.example'`, RegExps, `'*'` for any, or a test. @default [] */
  allow?: '*' | readonly TypeRule[] | ((origin: string) => boolean);
  /** A page of this same host (its `Origin` names the request's `Host`). @default true */
  sameOrigin?: boolean;
  /** A request without an `Origin` header (curl, servers, Node clients). @default true */
  allowMissing?: boolean;
  /** CORS: let an allowed origin send cookies (`Access-Control-Allow-Credentials`). @default false */
  credentials?: boolean;
  /** CORS: how long a browser may cache a preflight, in seconds. @default 600 */
  maxAgeSeconds?: number;
}
