import type { CanActivate, ExecutionContext, Type } from '@nestjs/common';

/**
 * Who may connect to the bus, read which types and publish which: one story
 * for every entry point (the Socket.IO handshake, the SSE stream, the
 * snapshot, ingest, and the inspector's and metrics' data). Off unless given;
 * an app's global guards (`APP_GUARD`, `useGlobalGuards`) apply at every
 * entry point either way, the Socket.IO handshake included.
 *
 * The hooks are methods, so an app may type their `principal` parameter as
 * its own user type.
 */
export interface LivebusAuthOptions {
  /**
   * The app's guards, the same `CanActivate` classes it puts on its
   * controllers and gateways (resolved through DI: the instance the app
   * already has, else one created with its dependencies from the module's
   * scope, global modules included), or instances. They run in order, after
   * the global guards, with an `ExecutionContext` of type `http` (SSE,
   * snapshot, ingest) or `ws` whose client is the connecting socket (the
   * handshake: `getData()` is `handshake.auth`, `getPattern()` is
   * `'connection'`; a credential refresh: the fields the client sent and
   * `'livebus:reauth'`). One that returns `false` refuses with `forbidden`;
   * one that throws `UnauthorizedException` refuses with `unauthorized`.
   * @default none
   */
  guards?: readonly (Type<CanActivate> | CanActivate)[];
  /**
   * Returns the principal (the app's user) of a request or handshake that
   * the guards admitted, or `null`/`undefined` to refuse it (`unauthorized`);
   * may throw `UnauthorizedException`/`ForbiddenException`. A principal
   * with `expiresAt` (ms since the epoch, or a `Date`) expires then: a
   * Socket.IO client is asked for a fresh credential before, an SSE stream
   * ends. Without it, the principal is what a guard left in `request.user`
   * (HTTP) or `socket.data.user` (Socket.IO), else `null`.
   */
  authenticate?(context: ExecutionContext): unknown;
  /**
   * Whether `principal` may read events of `type`: the snapshot, a resume's
   * replay, the live stream (Socket.IO and SSE) and every later
   * `subscribe` pass through it; a client that asks for a type it may not
   * read is refused (`forbidden`, naming the type). Asked at most once per
   * type per connection (the answer is kept), never per event; must be
   * synchronous. One that throws counts as `false`.
   * @default every type
   */
  canRead?(principal: unknown, type: string): boolean;
  /**
   * Whether `principal` may publish events of `type` through the ingest
   * endpoint (`403`, naming the type and its index; nothing of the request
   * is published). Providers and workers publish as the server.
   * @default every type
   */
  canPublish?(principal: unknown, type: string): boolean;
  /**
   * How long before a principal's `expiresAt` the server asks a Socket.IO
   * client for a fresh credential (`livebus:reauth`), in ms. A client that
   * has not answered with one the guards admit by `expiresAt` is
   * disconnected with the code `auth_expired`.
   * @default 30000
   */
  refreshBeforeMs?: number;
}
