import type { ManagerOptions, SocketOptions } from 'socket.io-client';
import type { CloseNotice } from '../protocol/codes.js';
import type { EventMap, EventType } from '../protocol/event-map.js';
import type { EventMeta, Gap } from '../protocol/messages.js';
import type { AuthOption } from './client-auth.js';

// The types of LivebusClient's options and listeners.

/** Where the client's connection is. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** Events the client lost to a full server queue (or conflated: see `Gap`). */
export type GapNotice = Gap;

/**
 * Why the state was replaced by a snapshot marked reset: a resume could not
 * be served exactly, or the client re-hydrated after a gap or a type change.
 */
export type ResetReason = 'resume-failed' | 'gap' | 'types';

/** Options of {@link LivebusClient}. */
export interface LivebusClientOptions<M extends EventMap<M>> {
  /** Socket.IO namespace. @default '/predictions' */
  namespace?: string;
  /** Only these types (snapshot, replay and live). @default all */
  types?: readonly EventType<M>[];
  /**
   * The credential the server's guards read (`client.handshake.auth`), e.g.
   * `{ token }` or `async () => ({ token: await freshToken() })`. A provider
   * is asked on every connection and when the server asks for a fresh
   * credential, which the client then sends without reconnecting.
   */
  auth?: AuthOption;
  /**
   * Passed to `socket.io-client`'s `io()`. Its `auth` (an object or
   * Socket.IO's `(send) => ...` function) is merged with the client's
   * resume position, like {@link auth}.
   */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

/** @internal */
export interface Listeners<M extends EventMap<M>> {
  event: ((
    type: EventType<M>,
    event: M[EventType<M>],
    meta: EventMeta,
  ) => void)[];
  state: ((state: Readonly<Partial<M>>) => void)[];
  connection: ((state: ConnectionState) => void)[];
  gap: ((gap: GapNotice) => void)[];
  reset: ((reason: ResetReason) => void)[];
  close: ((notice: CloseNotice) => void)[];
}

/** @internal */
/** A handler of one type's events. */
export type TypedHandler = (event: never, meta: EventMeta) => void;
