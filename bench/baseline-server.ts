/**
 * A server process that only starts and reports its memory before any
 * client: the "baseline" row. Unlike server.ts (which loads everything for
 * every kind), each kind here imports only what it runs, so the difference
 * between two kinds is what one of them loads and keeps:
 * - plain: `new Server(http)` and `io.of('/predictions')`;
 * - nest: an empty Nest app (NestFactory, Express, IoAdapter), no gateway;
 * - ours: the same app with `EventBusModule.forRoot()`, default options;
 * - demo: the demo's module (worker, metrics, inspector, ingest, terminus).
 *
 * Started as `baseline-server.js <kind>`; answers `mem` (after a full GC).
 */
import { createServer } from 'node:http';
import { notify, serve } from './ipc.js';
import { NAMESPACE } from './events.js';
import type { ServerMemory } from './protocol.js';

export type BaselineKind = 'plain' | 'nest' | 'ours' | 'demo';

const kind = (process.argv[2] ?? 'plain') as BaselineKind;

async function start(): Promise<() => Promise<void>> {
  if (kind === 'plain') {
    const { Server } = await import('socket.io');
    const http = createServer();
    const io = new Server(http);
    io.of(NAMESPACE);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return () => new Promise((resolve) => io.close(() => resolve()));
  }
  await import('reflect-metadata');
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { IoAdapter } = await import('@nestjs/platform-socket.io');
  let root: new () => unknown;
  if (kind === 'demo') {
    const { demoModule } = await import('../demo/demo-app.js');
    root = demoModule();
  } else if (kind === 'ours') {
    const { EventBusModule } = await import('../src/index.js');
    @Module({ imports: [EventBusModule.forRoot()] })
    class OursModule {}
    root = OursModule;
  } else {
    @Module({})
    class EmptyModule {}
    root = EmptyModule;
  }
  const app = await NestFactory.create(root, { logger: ['error', 'warn'] });
  app.useWebSocketAdapter(new IoAdapter(app));
  await app.listen(0, '127.0.0.1');
  return () => app.close();
}

async function memory(): Promise<ServerMemory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let i = 0; i < 3; i++) {
    gc?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const usage = process.memoryUsage();
  return {
    rss: usage.rss,
    peakRss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    spaces: {},
  };
}

const close = await start();
serve(async (body) => {
  const { cmd } = body as { cmd: 'mem' | 'exit' };
  if (cmd === 'mem') return memory();
  await close();
  setTimeout(() => process.exit(0), 20);
  return null;
});
notify('listening', { port: 0, pid: process.pid });
