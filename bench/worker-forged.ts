/**
 * What a worker that forges the helper's protocol does to the server: a
 * batch whose `json` is `{"a":1}]}`, a batch whose `dropped` is `'abc'`, an
 * event whose own `kind` is `livebus:batch`, and an unknown `livebus:`
 * kind, then a good batch. Prints what a Socket.IO client saw, whether
 * `GET /api/ws/snapshot` is still JSON, and the monitor's counters.
 *
 *   npm run build && node dist/bench/worker-forged.js
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { fileURLToPath } from 'node:url';
import { io } from 'socket.io-client';
import { EventBusModule, MonitorService } from '../src/index.js';
import { out } from './settings.js';

const fixture = fileURLToPath(
  new URL('../../test/fixtures/forged.worker.mjs', import.meta.url),
);
const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
const good = (type: string) => ({
  type,
  json: JSON.stringify({ type, n: 1 }),
});

async function main(): Promise<void> {
  const messages = [
    { kind: 'livebus:batch', events: [good('before')], dropped: 0 },
    {
      kind: 'livebus:batch',
      events: [{ type: 'poison', json: '{"a":1}]}' }],
      dropped: 0,
    },
    { kind: 'livebus:batch', events: [good('abc_batch')], dropped: 'abc' },
    { type: 'has_kind', kind: 'livebus:batch', events: [] },
    { kind: 'livebus:nope' },
    { kind: 'livebus:batch', events: [good('after')], dropped: 0 },
  ];
  @Module({
    imports: [
      EventBusModule.forRoot({
        worker: {
          script: fixture,
          workerData: { messages, acks: new SharedArrayBuffer(4) },
        },
      }),
    ],
  })
  class ForgedApp {}
  const app = await NestFactory.create(ForgedApp, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const socket = io(`${url}/predictions`, {
    transports: ['websocket'],
    reconnection: false,
  });
  const seen: string[] = [];
  let disconnect = 'none';
  socket.onAny((name: string) => seen.push(name));
  socket.on('disconnect', (reason) => (disconnect = reason));
  await sleep(1500);
  const response = await fetch(`${url}/api/ws/snapshot`);
  const text = await response.text();
  let snapshot = 'valid JSON';
  try {
    JSON.parse(text);
  } catch (error) {
    snapshot = `NOT JSON (${(error as Error).message})`;
  }
  const stats = app.get(MonitorService).stats();
  out(`GET /api/ws/snapshot: ${response.status}, ${snapshot}`);
  out(
    `Socket.IO client: disconnect=${disconnect}; received ${seen.join(', ')}`,
  );
  out(
    `droppedInWorker: ${JSON.stringify(stats.droppedInWorker)} (${typeof stats.droppedInWorker})`,
  );
  out(`monitor stats: ${JSON.stringify(stats)}`);
  socket.disconnect();
  await app.close();
}

await main();
