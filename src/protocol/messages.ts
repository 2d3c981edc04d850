/**
 * The wire vocabulary shared by the server (gateway, SSE) and the client:
 * the names of the bus's own messages and what each carries. Framework-free
 * and dependency-free, so the browser client imports it as is.
 */

/** Default Socket.IO namespace of the gateway. */
export const DEFAULT_NAMESPACE = '/predictions';

/** Server → client: the latest event of each type, sent first (and on re-hydration). */
export const SNAPSHOT_MESSAGE = 'snapshot';
/** Server → client: events this client lost to its full queue, before the next event. */
export const GAP_MESSAGE = 'gap';
/** Server → client: a resume succeeded; the missed events follow. */
export const RESUMED_MESSAGE = 'resumed';
/** Client → server: change the type filter (and re-hydrate). */
export const SUBSCRIBE_MESSAGE = 'subscribe';
/**
 * Server → client, with an acknowledgement: the credential the client
 * connected with expires soon ({@link ReauthRequest}); the client answers
 * with fresh `auth` fields (e.g. `{ token }`), which the server checks as it
 * checked the handshake, without a reconnection.
 */
export const REAUTH_MESSAGE = 'livebus:reauth';

/**
 * Names an event may not take: Socket.IO reserves the first ones, and the
 * bus's own messages use the rest.
 */
export const RESERVED_EVENT_TYPES: ReadonlySet<string> = new Set([
  'connect',
  'connect_error',
  'disconnect',
  'disconnecting',
  'newListener',
  'removeListener',
  SNAPSHOT_MESSAGE,
  GAP_MESSAGE,
  RESUMED_MESSAGE,
]);

/** What a `snapshot` message carries beside the events. */
export interface SnapshotMeta {
  /** The newest seq the snapshot reflects; the next event is `seq + 1`. */
  readonly seq: number;
  readonly epoch: string;
  /**
   * `true` when the client asked to resume and could not be served exactly
   * (another epoch, or older than the kept history), or asked to re-hydrate:
   * replace the state, events were missed.
   */
  readonly reset: boolean;
  /** The types this client receives, or `null` for all. */
  readonly types: string[] | null;
}

/** What a `resumed` message carries: the replay of what was missed follows. */
export interface ResumedMeta {
  readonly epoch: string;
  /** The replay covers `fromSeq..toSeq`, then the live stream continues. */
  readonly fromSeq: number;
  readonly toSeq: number;
  /** Events in the replay (after the type filter). */
  readonly replayed: number;
}

/** What a `gap` message carries: events lost to a full queue. */
export interface Gap {
  /** How many events were dropped. */
  readonly missed: number;
  /** `seq` of the first dropped event. */
  readonly fromSeq: number;
  /**
   * `seq` of the last dropped event. With `'conflate'` the dropped events
   * need not be contiguous: kept events inside the range follow the notice.
   */
  readonly toSeq: number;
  /**
   * Only with the `'conflate'` overflow policy (always there then): how many
   * of the `missed` events of each type were conflated, i.e. replaced by a
   * later event of that type that follows this notice. When the counts add
   * up to `missed`, no type's latest event was lost: apply what follows and
   * the state is the server's, no re-hydration needed. When they fall short,
   * the difference was lost (the queue held too many types): re-hydrate.
   * Keys are event types: read it with `Object.entries`, never by indexing
   * with a type that may name an `Object.prototype` member.
   */
  readonly conflated?: Readonly<Record<string, number>>;
}

/**
 * Whether every event a gap counts as `missed` was conflated (the per-type
 * counts add up): then no type's latest event was lost and applying what
 * follows gives the server's state. A malformed gap counts as a loss.
 */
export function gapOnlyConflated(gap: Gap): boolean {
  if (typeof gap !== 'object' || gap === null) return false;
  const { missed, conflated } = gap;
  if (
    typeof conflated !== 'object' ||
    conflated === null ||
    Array.isArray(conflated)
  ) {
    return false;
  }
  let sum = 0;
  // Own entries only: the keys are event types, `__proto__` included.
  for (const count of Object.values(conflated)) {
    if (!Number.isSafeInteger(count) || count < 1) return false;
    sum += count;
  }
  return Number.isSafeInteger(missed) && missed > 0 && sum === missed;
}

/** Metadata beside each event (its second argument on Socket.IO). */
export interface EventMeta {
  readonly seq: number;
}

/** What a client may put in its Socket.IO handshake `auth` (or query string). */
export interface HandshakeFields {
  /** Resume after this seq of `epoch` instead of taking a fresh snapshot. */
  readonly lastSeq?: number;
  readonly epoch?: string;
  /** Only these types (snapshot, replay and live). */
  readonly types?: readonly string[];
}

/** What a {@link REAUTH_MESSAGE} carries; its ack answers the new `auth` fields. */
export interface ReauthRequest {
  /** When the current credential expires, in ms since the epoch. */
  readonly expiresAt: number;
}

/** The body of a `subscribe` message. */
export interface SubscribeRequest {
  /** The new filter, or `null` for all types. */
  readonly types: readonly string[] | null;
}

/**
 * The answer to a `subscribe` message (its acknowledgement); a refusal for
 * sending too many (`code: 'rate_limited'`) says when to try again.
 */
export type SubscribeAck =
  | { readonly seq: number }
  | {
      readonly error: string;
      readonly code?: string;
      readonly retryAfterMs?: number;
    };

/**
 * The cookie that carries an SSE stream's epoch: EventSource reconnects with
 * `Last-Event-ID` only, and a seq means nothing without its epoch.
 */
export const SSE_EPOCH_COOKIE = 'livebus_epoch';
