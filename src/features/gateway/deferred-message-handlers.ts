import type { WebSocketAdapter } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { Namespace, Socket } from 'socket.io';

type Bind = WebSocketAdapter['bindMessageHandlers'];
type Handlers = Parameters<Bind>[1];
type Transform = Parameters<Bind>[2];
type Disconnected = (reason: string) => void;

/**
 * The namespaces whose sockets get their message handlers bound on first
 * use, each with Nest's result transform: the same function for every
 * socket (Nest makes one per socket), kept once.
 */
const deferred = new WeakMap<Namespace, Transform | null>();
/** A socket's handlers (one list per gateway), until its first message. */
const pending = new WeakMap<Socket, Handlers | Handlers[]>();
/** Nest's disconnect callback of each socket of these namespaces. */
const disconnects = new WeakMap<Socket, Disconnected>();
const WRAPPED = Symbol('livebus.deferredMessageHandlers');

/**
 * Binds Nest's message handlers (`@SubscribeMessage`) of a socket of
 * `namespace` when the socket first sends one of their messages, instead of
 * when it connects. Nest's `IoAdapter.bindMessageHandlers` builds a chain of
 * rxjs observables per socket and handler (about 4 KB); most of this
 * gateway's clients never send a message, and a client that does goes
 * through exactly the same chain (guards, pipes, interceptors, filters):
 * its first message is handed to it the moment it is built.
 *
 * Wraps the app's WebSocket adapter once, for these namespaces' sockets
 * only. Where the adapter cannot be found (Nest's container changed shape)
 * nothing is wrapped and every socket is bound as usual.
 */
export function deferMessageHandlers(
  moduleRef: ModuleRef | undefined,
  namespace: Namespace,
): void {
  const adapter = webSocketAdapterOf(moduleRef);
  if (!adapter) return;
  if (!deferred.has(namespace)) deferred.set(namespace, null);
  const wrapped = adapter as WebSocketAdapter & { [WRAPPED]?: true };
  if (wrapped[WRAPPED]) return;
  wrapped[WRAPPED] = true;
  const bind = adapter.bindMessageHandlers.bind(adapter);
  const bindDeferred = (socket: Socket, handlers: Handlers): void => {
    for (const { message } of handlers) {
      socket.off(message as string, triggerOf(message as string));
    }
    bind(socket, handlers, deferred.get(socket.nsp)!);
  };
  // One listener per message name for every socket (Socket.IO calls it
  // with the socket as `this`), not a closure per socket.
  const triggers = new Map<
    string,
    (this: Socket, ...args: unknown[]) => void
  >();
  const triggerOf = (message: string) => {
    let trigger = triggers.get(message);
    if (!trigger) {
      trigger = function (this: Socket, ...args: unknown[]): void {
        const held = pending.get(this);
        if (!held) return;
        pending.delete(this);
        const before = new Set(this.listeners(message));
        if (isList(held)) for (const list of held) bindDeferred(this, list);
        else bindDeferred(this, held);
        // To the listeners just bound only (the app's own listeners of this
        // message get it from the dispatch under way), as Socket.IO calls
        // them: with the socket as `this`.
        for (const listener of this.listeners(message)) {
          if (!before.has(listener)) listener.apply(this, args);
        }
      };
      triggers.set(message, trigger);
    }
    return trigger;
  };
  adapter.bindMessageHandlers = (client, handlers, transform) => {
    const socket = client as Socket;
    if (!deferred.has(socket.nsp) || handlers.length === 0) {
      bind(client, handlers, transform);
      return;
    }
    if (!deferred.get(socket.nsp)) deferred.set(socket.nsp, transform);
    // Another gateway on the same namespace defers its own beside it.
    const held = pending.get(socket);
    if (!held) pending.set(socket, handlers);
    else if (isList(held)) held.push(handlers);
    else pending.set(socket, [held, handlers]);
    for (const { message } of handlers) {
      socket.on(message as string, triggerOf(message as string));
    }
  };
  // Nest's `once` per socket wraps its callback twice over: one listener
  // for every socket of these namespaces instead.
  const bindDisconnect = adapter.bindClientDisconnect?.bind(adapter);
  if (!bindDisconnect) return;
  adapter.bindClientDisconnect = (client, callback: Disconnected) => {
    const socket = client as Socket;
    if (!deferred.has(socket.nsp)) {
      bindDisconnect(client, callback);
      return;
    }
    disconnects.set(socket, callback);
    socket.on('disconnect', nestDisconnected);
  };
}

function nestDisconnected(this: Socket, reason: string): void {
  const callback = disconnects.get(this);
  disconnects.delete(this);
  callback?.(reason);
}

/** Whether `held` is several gateways' handler lists (else one list). */
function isList(held: Handlers | Handlers[]): held is Handlers[] {
  return held.length > 0 && Array.isArray(held[0]);
}

/** The app's WebSocket adapter, through the container behind `moduleRef`. */
function webSocketAdapterOf(
  moduleRef: ModuleRef | undefined,
): WebSocketAdapter | undefined {
  const container = (
    moduleRef as unknown as {
      container?: {
        applicationConfig?: { getIoAdapter?(): WebSocketAdapter | undefined };
      };
    }
  )?.container;
  const adapter = container?.applicationConfig?.getIoAdapter?.();
  return typeof adapter?.bindMessageHandlers === 'function'
    ? adapter
    : undefined;
}
