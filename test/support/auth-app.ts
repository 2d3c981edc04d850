import type {
  INestApplication,
  ModuleMetadata,
  Provider,
  Type,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { io, type Socket } from 'socket.io-client';
import {
  EventBusModule,
  EventBusService,
  type EventBusModuleExtras,
  type EventBusModuleOptions,
} from '../../src/index.js';

/** A real app with the module and the app's own providers and controllers. */
export interface AuthApp {
  app: INestApplication;
  url: string;
  bus: EventBusService;
  /** A tracked socket on `/predictions` with `auth` as its handshake's auth. */
  connect(
    auth?: Record<string, unknown>,
    options?: Parameters<typeof io>[1],
  ): Socket;
  close(): Promise<void>;
}

export async function startAuthApp(
  options: EventBusModuleOptions & EventBusModuleExtras,
  app: {
    providers?: Provider[];
    controllers?: Type[];
    imports?: ModuleMetadata['imports'];
    /** Runs before `listen`, e.g. `useGlobalGuards`. */
    configure?: (app: INestApplication) => void;
  } = {},
): Promise<AuthApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      ...(app.imports ?? []),
      EventBusModule.forRoot({ worker: false, ingest: true, ...options }),
    ],
    providers: app.providers ?? [],
    controllers: app.controllers ?? [],
  }).compile();
  const nest = moduleRef.createNestApplication({ logger: false });
  app.configure?.(nest);
  await nest.listen(0, '127.0.0.1');
  const url = (await nest.getUrl()).replace('[::1]', '127.0.0.1');
  const sockets: Socket[] = [];
  return {
    app: nest,
    url,
    bus: nest.get(EventBusService),
    connect(auth = {}, socketOptions = {}) {
      const socket = io(url + '/predictions', {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth,
        ...socketOptions,
      });
      sockets.push(socket);
      return socket;
    },
    async close() {
      for (const socket of sockets) socket.disconnect();
      await nest.close();
    },
  };
}

/** A refused connection's error: Socket.IO's message and the notice in `data`. */
export type Refusal = Error & { data?: { code: string; message: string } };

/**
 * Resolves with how a socket's connection ended up: `connected` (and what
 * it received first) or `refused` (its `connect_error`).
 */
export function outcome(
  socket: Socket,
): Promise<
  { kind: 'connected'; first: string } | { kind: 'refused'; error: Refusal }
> {
  return new Promise((resolve) => {
    socket.once('connect_error', (error: Refusal) =>
      resolve({ kind: 'refused', error }),
    );
    socket.onAny((name: string) => resolve({ kind: 'connected', first: name }));
  });
}
