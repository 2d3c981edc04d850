import type { INestApplication } from '@nestjs/common';
import {
  FastifyAdapter,
  type NestFastifyApplication,
} from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { io, type Socket } from 'socket.io-client';
import { EventBusModule, EventBusService } from '../src/index.js';
import {
  openSse,
  post,
  receive,
  record,
  until,
  type SseReader,
} from './utils.js';

/**
 * The module on @nestjs/platform-fastify instead of Express: the gateway
 * (Socket.IO attaches to Fastify's HTTP server), the snapshot, ingest, SSE
 * and the browser client route.
 */
describe('on Fastify', () => {
  let app: INestApplication | undefined;
  let socket: Socket | undefined;
  let sse: SseReader | undefined;

  afterEach(async () => {
    socket?.disconnect();
    await sse?.close();
    await app?.close();
  });

  it('serves the gateway, snapshot, ingest, SSE and the client script', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          worker: false,
          ingest: true,
          clientPath: 'livebus/client.js',
        }),
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(
      new FastifyAdapter(),
      { logger: false },
    );
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const bus = app.get(EventBusService);
    await bus.publish({ type: 'status', state: 'idle' });

    socket = io(url + '/predictions', {
      transports: ['websocket'],
      reconnection: false,
    });
    const received = record(socket);
    await receive(received, 1, (m) => m.name === 'snapshot');
    sse = await openSse(url + '/api/events/stream');
    expect(sse.status).toBe(200);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);

    expect(
      (await post(url, { type: 'prediction', label: 'Build' })).status,
    ).toBe(202);
    const [prediction] = await receive(
      received,
      1,
      (m) => m.name === 'prediction',
    );
    expect(prediction.event).toEqual({ type: 'prediction', label: 'Build' });
    await until(
      () => sse!.messages.some((m) => m.event === 'prediction'),
      5000,
      'the SSE event',
    );

    const bad = await post(url, { label: 'no type' });
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toContain('type');

    const snapshot = await fetch(url + '/api/ws/snapshot');
    expect(snapshot.status).toBe(200);
    expect(snapshot.headers.get('x-livebus-seq')).toBe('2');
    expect(await snapshot.json()).toEqual({
      status: { type: 'status', state: 'idle' },
      prediction: { type: 'prediction', label: 'Build' },
    });

    const script = await fetch(url + '/livebus/client.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toContain('text/javascript');
  });
});
