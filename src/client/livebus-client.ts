/**
 * The browser/Node client of nestjs-livebus: `import { LivebusClient } from
 * 'nestjs-livebus/client'`. It wraps `socket.io-client` and keeps `state`
 * (the latest event of each type) exactly in step with the server: it
 * hydrates from the `snapshot` message, applies every event once, resumes
 * with its last seq after a reconnect, and re-hydrates after a reset or a
 * gap that may have lost the latest event of a type (a gap in which the
 * server only conflated, overflow policy `'conflate'`, needs no round trip).
 *
 * Imports nothing from Node or Nest, so it runs in browsers as is.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  AnyEventMap,
  EventMap,
  EventType,
} from '../protocol/event-map.js';
import {
  DEFAULT_NAMESPACE,
  GAP_MESSAGE,
  gapOnlyConflated,
  RESUMED_MESSAGE,
  SNAPSHOT_MESSAGE,
  type EventMeta,
  type ResumedMeta,
  type SnapshotMeta,
} from '../protocol/messages.js';
import type { CloseNotice } from '../protocol/codes.js';
import { isReservedType } from '../protocol/event-types.js';
import { watchCloses } from './close-policy.js';
import {
  answerReauth,
  appCredential,
  type AuthFields,
  type AuthOption,
} from './client-auth.js';
import { ClientListeners } from './client-listeners.js';
import { ResyncRequests } from './client-resync.js';
import type {
  ConnectionState,
  GapNotice,
  LivebusClientOptions,
  ResetReason,
  TypedHandler,
} from './client-types.js';

export type {
  AuthFields,
  AuthOption,
  CloseNotice,
  ConnectionState,
  EventMeta,
  GapNotice,
  LivebusClientOptions,
  ResetReason,
};

/**
 * A live view of the bus. `state` is the latest event of each type;
 * `on(type, handler)` gets each event of a type, typed by the event map:
 *
 * ```ts
 * const client = new LivebusClient<AppEvents>('http://localhost:3000');
 * client.on('prediction', (event) => show(event.label));
 * ```
 */
export class LivebusClient<M extends EventMap<M> = AnyEventMap> {
  /** The underlying Socket.IO socket. */
  readonly socket: Socket;
  // The latest event of each type, changed in place per event; `state`
  // hands out a copy made when read after a change (not one per event).
  private readonly latest = new Map<string, unknown>();
  private view: Readonly<Partial<M>> | null = null;
  private _lastSeq = 0;
  private _epoch: string | null = null;
  private _connection: ConnectionState = 'connecting';
  private types: readonly string[] | null;
  private gaps = 0;
  // Between a resync request and its snapshot, events are still applied;
  // the snapshot then replaces the state.
  private pendingReset: 'gap' | 'types' | null = null;
  private cancelReconnect: () => void;
  private readonly resyncs: ResyncRequests;
  private lastClose: CloseNotice | null = null;
  private readonly listeners = new ClientListeners<M>();

  constructor(url: string, options: LivebusClientOptions<M> = {}) {
    this.types = options.types ? [...options.types] : null;
    const credential = appCredential(options.auth, options.socket?.auth);
    this.socket = io(url + (options.namespace ?? DEFAULT_NAMESPACE), {
      ...options.socket,
      // Called on every (re)connection: the app's credential, and resume
      // from where we are, unless a re-hydration was asked for and not
      // answered before the connection dropped (the state is stale then:
      // start from a fresh snapshot). The position is the client's own: an
      // app field of the same name does not move it.
      auth: (send: (data: object) => void) => {
        void credential()
          .catch(() => ({}))
          .then((fields) => send(this.handshake(fields)));
      },
    });
    this.resyncs = new ResyncRequests(
      this.socket,
      () => this.types,
      () => this._connection === 'closed',
    );
    // Before the credential expires the server asks for a fresh one.
    answerReauth(this.socket, credential);
    this.socket.on('connect', () => this.setConnection('live'));
    this.socket.on('disconnect', () => {
      if (this._connection !== 'closed') this.setConnection('reconnecting');
    });
    // Socket.IO retries by itself except after a server-side disconnect or
    // a refused handshake: then the server's close code decides (a restart
    // resumes after a delay; `unauthorized` does not come back as is).
    this.cancelReconnect = watchCloses(
      this.socket,
      {
        reconnection: options.socket?.reconnection !== false,
        delayMs: options.socket?.reconnectionDelay ?? 1000,
      },
      {
        notice: (notice) => {
          this.lastClose = notice;
          for (const listener of this.listeners.of.close) listener(notice);
        },
        giveUp: () => this.close(),
        retrying: () => this.setConnection('reconnecting'),
      },
    );
    this.socket.io.on('reconnect_attempt', () =>
      this.setConnection('reconnecting'),
    );
    this.socket.on(SNAPSHOT_MESSAGE, (events: Partial<M>, meta: SnapshotMeta) =>
      this.applySnapshot(events, meta),
    );
    this.socket.on(RESUMED_MESSAGE, (meta: ResumedMeta) => {
      this._epoch = meta.epoch;
    });
    this.socket.on(GAP_MESSAGE, (gap: GapNotice) => {
      this.gaps++;
      for (const listener of this.listeners.of.gap) listener(gap);
      // Unless only conflated (the latest of each type follows), what was
      // missed may have been the latest of some type: re-hydrate. A pending
      // snapshot is taken after this gap's drops: it covers them too.
      if (!gapOnlyConflated(gap) && !this.pendingReset) this.resync('gap');
    });
    this.socket.onAny((name: string, event: unknown, meta: EventMeta) => {
      // The bus's own messages (and `livebus:` ones) are not events.
      if (isReservedType(name)) return;
      this.applyEvent(name as EventType<M>, event as M[EventType<M>], meta);
    });
  }

  /**
   * The latest event of each type (a new object after each change). It has
   * no prototype, so every key is a type (`state.toString` is the event of
   * type `toString`, if any): use `Object.hasOwn(state, type)` or `in`.
   */
  get state(): Readonly<Partial<M>> {
    return (this.view ??= Object.assign(
      Object.create(null) as object,
      Object.fromEntries(this.latest),
    ) as Partial<M>);
  }

  /** The seq of the newest event applied (or of the snapshot). */
  get lastSeq(): number {
    return this._lastSeq;
  }

  /** The stream the seq belongs to; `null` before the first snapshot. */
  get epoch(): string | null {
    return this._epoch;
  }

  get connection(): ConnectionState {
    return this._connection;
  }

  /**
   * Why the server last ended or refused the connection (a code of
   * `CLOSE_CODES` and a message), or `null`.
   */
  get closeNotice(): CloseNotice | null {
    return this.lastClose;
  }

  /** Gap notices received so far. */
  get gapCount(): number {
    return this.gaps;
  }

  /** Runs `handler` for each event of `type`; returns an unsubscribe function. */
  on<K extends EventType<M>>(
    type: K,
    handler: (event: M[K], meta: EventMeta) => void,
  ): () => void {
    return this.listeners.addTyped(type, handler as TypedHandler);
  }

  /** Runs `handler` for every event, whatever its type. */
  onEvent(
    handler: (
      type: EventType<M>,
      event: M[EventType<M>],
      meta: EventMeta,
    ) => void,
  ): () => void {
    return this.listeners.add('event', handler);
  }

  /** Runs `handler` whenever `state` changed (an event, a snapshot). */
  onState(handler: (state: Readonly<Partial<M>>) => void): () => void {
    return this.listeners.add('state', handler);
  }

  onConnection(handler: (state: ConnectionState) => void): () => void {
    return this.listeners.add('connection', handler);
  }

  onGap(handler: (gap: GapNotice) => void): () => void {
    return this.listeners.add('gap', handler);
  }

  /** Runs `handler` when the state was replaced by a snapshot marked reset. */
  onReset(handler: (reason: ResetReason) => void): () => void {
    return this.listeners.add('reset', handler);
  }

  /**
   * Runs `handler` when the server says why it ends or refuses the
   * connection: the client reconnects where `CLOSE_CODES[code].reconnect`
   * says so, and is `closed` where it does not.
   */
  onClose(handler: (notice: CloseNotice) => void): () => void {
    return this.listeners.add('close', handler);
  }

  /** Receives only `types` from now on (`null`: all); the state is re-hydrated. */
  setTypes(types: readonly EventType<M>[] | null): void {
    this.types = types ? [...types] : null;
    this.resync('types');
  }

  close(): void {
    this.cancelReconnect();
    this.resyncs.cancel();
    this.setConnection('closed');
    this.socket.disconnect();
  }

  /** The handshake's `auth`: the app's fields, then the client's own. */
  private handshake(credential: AuthFields): AuthFields {
    return {
      ...credential,
      ...(this._epoch && !this.pendingReset
        ? { epoch: this._epoch, lastSeq: this._lastSeq }
        : {}),
      ...(this.types ? { types: this.types } : {}),
    };
  }

  private resync(reason: 'gap' | 'types'): void {
    this.pendingReset = reason;
    this.resyncs.request(() => this.resync(reason));
  }

  private applySnapshot(events: Partial<M>, meta: SnapshotMeta): void {
    this.latest.clear();
    for (const [type, event] of Object.entries(events ?? {})) {
      this.latest.set(type, event);
    }
    this.view = null;
    this._lastSeq = meta.seq;
    this._epoch = meta.epoch;
    // A pending re-hydration is answered by any snapshot, also the fresh
    // one of a reconnection.
    if (meta.reset || this.pendingReset) {
      const reason = this.pendingReset ?? 'resume-failed';
      this.pendingReset = null;
      for (const listener of this.listeners.of.reset) listener(reason);
    }
    this.emitState();
  }

  private applyEvent(
    type: EventType<M>,
    event: M[EventType<M>],
    meta: EventMeta,
  ): void {
    // Not an event of the bus (Nest's `exception` answer to a refused
    // `subscribe` has no meta), or one already applied: never twice.
    if (typeof meta?.seq !== 'number' || meta.seq <= this._lastSeq) return;
    this._lastSeq = meta.seq;
    this.latest.set(type, event);
    this.view = null;
    this.listeners.dispatchEvent(type, event, meta);
    this.emitState();
  }

  private emitState(): void {
    if (this.listeners.of.state.length === 0) return;
    const state = this.state;
    for (const listener of this.listeners.of.state) listener(state);
  }

  private setConnection(state: ConnectionState): void {
    if (this._connection === state || this._connection === 'closed') return;
    this._connection = state;
    for (const listener of this.listeners.of.connection) listener(state);
  }
}
