import {
  Optional,
  Inject,
  Injectable,
  Logger,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
  type OnModuleInit,
  type Type,
} from '@nestjs/common';
import { ExternalContextCreator, ModuleRef } from '@nestjs/core';
import type { Socket } from 'socket.io';
import {
  RESOLVED_OPTIONS,
  type ResolvedAuthOptions,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import type { TypeFilter } from '../../core/type-filter.js';
import { quotePrefix } from '../../protocol/event-types.js';
import {
  AccessRefusedError,
  credentialExpired,
  unauthenticated,
} from './access-refused.error.js';
import { LIVEBUS_ENTRY } from './livebus-entry.js';
import { activate, expiryOf, isObject } from './principal.js';
import { ReadPermission } from './read-permission.js';

/** What the bus knows of an admitted request or socket. */
export interface AuthState {
  /** What `authenticate` returned (or a guard left in `user`), else `null`. */
  readonly principal: unknown;
  /** When the credential expires, in ms since the epoch, or `null`. */
  readonly expiresAt: number | null;
}

/** The Socket.IO pattern a guard sees at the handshake (`getPattern()`). */
export const HANDSHAKE_PATTERN = 'connection';

type HandshakeRunner = (
  socket: Socket,
  data: unknown,
  pattern: string,
) => Promise<unknown>;

/**
 * The bus's access control (the `auth` option): runs the app's guards and
 * `authenticate` at every entry point, keeps each admitted request's or
 * socket's principal, and answers what it may read and publish. The app's
 * global guards run at the Socket.IO handshake here (Nest runs them for
 * HTTP routes itself), with or without the option.
 */
@Injectable()
export class LivebusAuth implements OnModuleInit {
  private readonly logger = new Logger('LivebusAuth');
  private readonly options: ResolvedAuthOptions | null;
  private readonly states = new WeakMap<object, AuthState>();
  private chain: CanActivate[] = [];
  private handshake: HandshakeRunner | null = null;

  constructor(
    @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
    // Optional: with a second copy of @nestjs/core these are other classes,
    // and the start-up check (preflight, which runs first) says what to do.
    @Optional() private readonly moduleRef: ModuleRef,
    @Optional() private readonly contexts: ExternalContextCreator,
  ) {
    this.options = options.auth;
  }

  /** Whether the `auth` option is given. */
  get enabled(): boolean {
    return this.options !== null;
  }

  /** How long before expiry a Socket.IO client is asked for a fresh credential, in ms. */
  get refreshBeforeMs(): number {
    return this.options?.refreshBeforeMs ?? 0;
  }

  /**
   * Resolves `guards` through DI: the instance the app already has (a
   * provider, or a guard Nest created for `@UseGuards`), else a new one
   * with its dependencies from this module's scope. A guard Nest cannot
   * build fails the start-up, naming it.
   */
  async onModuleInit(): Promise<void> {
    if (!this.options) return;
    const guards: CanActivate[] = [];
    for (const guard of this.options.guards) {
      guards.push(
        typeof guard === 'function' ? await this.resolve(guard) : guard,
      );
    }
    guards.push({ canActivate: (context) => this.authenticate(context) });
    this.chain = guards;
  }

  /**
   * An HTTP entry point (Nest has run the global guards): the app's guards
   * and `authenticate` with Nest's own context; the principal is kept with
   * the request. Throws an {@link AccessRefusedError}, or what a guard threw.
   */
  async admitRequest(context: ExecutionContext): Promise<void> {
    if (!this.options) return;
    for (const guard of this.chain) {
      if (!(await activate(guard, context))) {
        throw new AccessRefusedError('forbidden', 'Forbidden resource');
      }
    }
  }

  /**
   * A Socket.IO handshake (`pattern` {@link HANDSHAKE_PATTERN}, `data` the
   * handshake's `auth`) or a credential refresh: the global guards, then the
   * app's guards and `authenticate`, with an `ExecutionContext` of type
   * `ws` whose client is `socket`. Resolves with what is kept of it
   * (`undefined` without the `auth` option); throws what a guard threw (a
   * guard that returns `false`: Nest's `ForbiddenException`).
   */
  async admitSocket(
    socket: Socket,
    data: unknown,
    pattern: string = HANDSHAKE_PATTERN,
  ): Promise<AuthState | undefined> {
    await this.handshakeRunner()(socket, data, pattern);
    return this.states.get(socket);
  }

  /**
   * Checks a fresh credential a connected client sent (its fields are
   * merged into `handshake.auth`, where guards read it) as its handshake
   * was checked. On refusal the socket keeps its previous credential and
   * principal, and the error is thrown.
   */
  async reauthenticate(
    socket: Socket,
    fields: unknown,
  ): Promise<AuthState | undefined> {
    const { auth } = socket.handshake;
    const before = this.states.get(socket);
    const sent = isObject(fields) ? fields : {};
    socket.handshake.auth = { ...auth, ...sent };
    try {
      return await this.admitSocket(socket, sent, 'livebus:reauth');
    } catch (error) {
      socket.handshake.auth = auth;
      if (before) this.states.set(socket, before);
      throw error;
    }
  }

  /** What is kept of an admitted request or socket, if anything. */
  stateOf(target: object): AuthState | undefined {
    return this.states.get(target);
  }

  /**
   * The principal of an admitted request (the `@Req()` object) or socket,
   * or `undefined` when none was kept (no `auth` option, or not admitted).
   */
  principalOf(target: object): unknown {
    return this.states.get(target)?.principal;
  }

  /**
   * What `target`'s principal may read, as a filter that remembers each
   * answer of `canRead`, or `null` (everything) without that hook. One per
   * connection: the answers are that principal's.
   */
  allowedFor(target: object): TypeFilter | null {
    const canRead = this.options?.canRead;
    if (!canRead) return null;
    return new ReadPermission(
      this.principalOf(target) ?? null,
      canRead,
      (error) => this.hookFailed('canRead', error),
    );
  }

  /**
   * Refuses (`forbidden`, naming the type and where it is) an ingest request
   * with an event `target`'s principal may not publish, before any of it is
   * published. Events without a string `type` are left to the bus's checks.
   */
  assertPublishable(
    target: object,
    events: readonly unknown[],
    single: boolean,
  ): void {
    const canPublish = this.options?.canPublish;
    if (!canPublish) return;
    const principal = this.principalOf(target) ?? null;
    events.forEach((event, index) => {
      const type = isObject(event) ? event.type : undefined;
      if (typeof type !== 'string') return;
      let allowed: boolean;
      try {
        allowed = canPublish(principal, type) === true;
      } catch (error) {
        this.hookFailed('canPublish', error);
        allowed = false;
      }
      if (!allowed) {
        throw new AccessRefusedError(
          'forbidden',
          `you may not publish ${quotePrefix(type)}`,
          single ? 'event.type' : `events[${index}].type`,
        );
      }
    });
  }

  /** The last step of the chain: `authenticate`, and the principal kept. */
  private async authenticate(context: ExecutionContext): Promise<boolean> {
    const ws = context.getType() === 'ws';
    const target: unknown = ws
      ? context.switchToWs().getClient()
      : context.switchToHttp().getRequest();
    if (!isObject(target)) return false;
    let principal: unknown;
    if (this.options?.authenticate) {
      principal = await this.options.authenticate(context);
      if (principal === null || principal === undefined) {
        throw unauthenticated();
      }
    } else {
      const holder = ws ? target.data : target;
      principal = (isObject(holder) ? holder.user : undefined) ?? null;
    }
    const expiresAt = expiryOf(principal);
    if (expiresAt !== null && expiresAt <= Date.now()) {
      throw credentialExpired();
    }
    this.states.set(target, { principal, expiresAt });
    return true;
  }

  /**
   * Runs the global guards and the chain for a socket, through Nest's own
   * context creator (the one its microservices use), on a host class that
   * carries the chain as its guards: made once, at the first handshake,
   * when every global guard is known.
   */
  private handshakeRunner(): HandshakeRunner {
    if (this.handshake) return this.handshake;
    class LivebusHandshake {
      connect(): void {}
    }
    SetMetadata(LIVEBUS_ENTRY, 'socketio')(LivebusHandshake);
    if (this.chain.length > 0) UseGuards(...this.chain)(LivebusHandshake);
    const host = new LivebusHandshake();
    const run = this.contexts.create(
      host,
      host.connect,
      'connect',
      undefined,
      undefined,
      undefined,
      undefined,
      { guards: true, interceptors: false, filters: false },
      'ws',
    );
    this.handshake = run;
    return run;
  }

  private async resolve(guard: Type<CanActivate>): Promise<CanActivate> {
    try {
      return this.moduleRef.get(guard, { strict: false });
    } catch {
      return this.moduleRef.create(guard);
    }
  }

  private hookFailed(hook: string, error: unknown): void {
    this.logger.error(
      `auth.${hook} threw (counted as a refusal): ${error instanceof Error ? error.message : String(error)}`,
      error instanceof Error ? error.stack : undefined,
    );
  }
}
