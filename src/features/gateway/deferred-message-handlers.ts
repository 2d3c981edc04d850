import type { WebSocketAdapter } from '@nestjs/common';
import type { ModuleRef } from '@nestjs/core';
import type { Namespace, Socket } from 'socket.io';

/** The namespaces whose sockets get their message handlers bound on first use. */
const deferred = new WeakSet<Namespace>();
/** What a socket's deferred binding needs, until its first message. */
const pending = new WeakMap<Socket, (() => void)[]>();
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
  deferred.add(namespace);
  const wrapped = adapter as WebSocketAdapter & { [WRAPPED]?: true };
  if (wrapped[WRAPPED]) return;
  wrapped[WRAPPED] = true;
  const bind = adapter.bindMessageHandlers.bind(adapter);
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
        const binds = pending.get(this);
        if (!binds) return;
        pending.delete(this);
        const before = new Set(this.listeners(message));
        for (const bindNow of binds) bindNow();
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
    const messages = handlers.map((handler) => handler.message as string);
    const bindNow = () => {
      for (const message of messages) socket.off(message, triggerOf(message));
      bind(client, handlers, transform);
    };
    // Another gateway on the same namespace defers its own beside it.
    const binds = pending.get(socket);
    if (binds) binds.push(bindNow);
    else pending.set(socket, [bindNow]);
    for (const message of messages) socket.on(message, triggerOf(message));
  };
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
