import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import {
  EventBusModule,
  EventBusService,
  MonitorService,
  type EventBusModuleExtras,
  type EventBusModuleOptions,
} from '../src/index.js';

/** A real Nest app on port 0 with the module, and everything a test opened on it. */
export interface TestApp {
  app: INestApplication;
  url: string;
  bus: EventBusService;
  monitor: MonitorService;
  /** Opens a tracked `socket.io-client` socket on the namespace. */
  connect(namespace?: string, options?: Parameters<typeof io>[1]): Socket;
  /** Disconnects every socket and closes the app. */
  close(): Promise<void>;
}

/** How the test app itself is served, beside the module's options. */
export interface Harness {
  /** Socket.IO server options the app's `IoAdapter` adds (heartbeat timing). */
  socketIo?: Partial<ServerOptions>;
}

/** An `IoAdapter` that adds fixed Socket.IO server options. */
class OptionsIoAdapter extends IoAdapter {
  constructor(
    app: INestApplication,
    private readonly extra: Partial<ServerOptions>,
  ) {
    super(app);
  }
  override createIOServer(port: number, options?: ServerOptions): Server {
    return super.createIOServer(port, {
      ...options,
      ...this.extra,
    } as ServerOptions);
  }
}

/**
 * Starts the module with `options`. The ingest endpoint, off by default in
 * the library, is turned on here (most tests publish through it) unless
 * `options` says `ingest`; no worker runs unless `options` asks for one.
 */
export async function startApp(
  options: EventBusModuleOptions & EventBusModuleExtras = {},
  harness: Harness = {},
): Promise<TestApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      EventBusModule.forRoot({
        ...('ingest' in options ? {} : { ingest: true }),
        ...options,
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  if (harness.socketIo) {
    app.useWebSocketAdapter(new OptionsIoAdapter(app, harness.socketIo));
  }
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const sockets = new Set<Socket>();
  return {
    app,
    url,
    bus: app.get(EventBusService),
    monitor: app.get(MonitorService),
    connect(namespace = '/predictions', socketOptions = {}) {
      const socket = io(url + namespace, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        ...socketOptions,
      });
      sockets.add(socket);
      return socket;
    },
    async close() {
      for (const socket of sockets) socket.disconnect();
      await app.close();
    },
  };
}

/** Resolves with the next `event` on `socket`'s arguments. */
export function once<T extends unknown[] = unknown[]>(
  socket: Socket,
  event: string,
): Promise<T> {
  return new Promise((resolve) =>
    socket.once(event, (...args: unknown[]) => resolve(args as T)),
  );
}

/** A received message: Socket.IO event name and its arguments. */
export interface Received {
  name: string;
  event: unknown;
  meta: { seq: number; [key: string]: unknown };
}

/** Records every message a socket receives, in order. */
export function record(socket: Socket): Received[] {
  const received: Received[] = [];
  socket.onAny((name: string, event: unknown, meta: Received['meta']) => {
    received.push({ name, event, meta });
  });
  return received;
}

/**
 * Waits until `condition()` holds, checking after every macrotask turn;
 * fails after `timeoutMs`. For state that has no event to await.
 */
export async function until(
  condition: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Waits until `socket` has received `count` messages matching `filter`. */
export async function receive(
  received: Received[],
  count: number,
  filter: (message: Received) => boolean = () => true,
  timeoutMs = 10_000,
): Promise<Received[]> {
  await until(
    () => received.filter(filter).length >= count,
    timeoutMs,
    `${count} messages`,
  );
  return received.filter(filter);
}

/** POSTs JSON to the ingest endpoint. */
export async function post(
  url: string,
  body: unknown,
  init: { raw?: string; contentType?: string; path?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(url + (init.path ?? '/api/events'), {
    method: 'POST',
    headers: { 'content-type': init.contentType ?? 'application/json' },
    body: init.raw ?? JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

/** One parsed Server-Sent Event (or a comment line). */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

/** A plain-HTTP SSE reader: `fetch` and a minimal parser of the stream. */
export interface SseReader {
  status: number;
  headers: Headers;
  messages: SseMessage[];
  close(): Promise<void>;
}

export async function openSse(
  url: string,
  headers: Record<string, string> = {},
): Promise<SseReader> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const messages: SseMessage[] = [];
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const done = (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: SseMessage = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) message.comment = line.slice(1).trim();
            const match = /^(id|event|data): ?(.*)$/.exec(line);
            if (match) message[match[1] as 'id' | 'event' | 'data'] = match[2];
          }
          if (Object.keys(message).length > 0) messages.push(message);
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    messages,
    async close() {
      abort.abort();
      await done;
    },
  };
}
