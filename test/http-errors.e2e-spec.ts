import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Injectable,
  Module,
  type BeforeApplicationShutdown,
  type INestApplication,
} from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EventBusModule, EventBusService } from '../src/index.js';
import { RedisServer } from './support/redis-server.js';
import { post, startApp, until } from './utils.js';

// How the library's HTTP endpoints answer the bus's own errors: one
// exception filter maps them (not ready or closing 503, too large 413,
// invalid 400, transport unavailable 503), never a bare 500.

describe('bus errors over HTTP', () => {
  let redis: RedisServer | undefined;

  afterEach(async () => {
    redis?.unpause();
    await redis?.kill();
    redis = undefined;
  });

  it('answers 503, not 500, to an ingest while the bus is not ready yet', async () => {
    // Redis accepts the connection and answers nothing while paused: the
    // bus's onModuleInit waits, with the routes already registered and the
    // app's HTTP server listening early.
    redis = await RedisServer.start();
    redis.pause();
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          worker: false,
          ingest: true,
          transport: { type: 'redis', url: redis.url },
        }),
      ],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const server = app.getHttpServer() as Server;
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const initialised = app.init();
    try {
      let response = await post(url, { type: 'early' });
      while (response.status === 404) {
        // The routes are not registered yet.
        await new Promise((resolve) => setTimeout(resolve, 10));
        response = await post(url, { type: 'early' });
      }
      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/^The event bus is not ready yet/),
      });
      expect(app.get(EventBusService).stats().refusedNotReady).toBe(1);
      redis.unpause();
      await initialised;
      expect((await post(url, { type: 'in-time' })).status).toBe(202);
    } finally {
      redis.unpause();
      await initialised.catch(() => undefined);
      await app.close();
    }
  });

  it('answers 503 with maybePublished when the shared transport cannot take the events', async () => {
    redis = await RedisServer.start();
    const t = await startApp({
      worker: false,
      transport: { type: 'redis', url: redis.url, commandTimeoutMs: 300 },
    });
    try {
      expect((await post(t.url, { type: 'tick', n: 1 })).status).toBe(202);
      // Sent, and no answer in time: it may have been published.
      redis.pause();
      const late = await post(t.url, { type: 'tick', n: 2 });
      expect(late.status).toBe(503);
      expect(late.body).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        maybePublished: true,
      });
      expect(late.body.message).toMatch(/may have been published/);
      // Down: refused before it was sent, nothing was published.
      await redis.kill();
      await until(
        () => t.bus.transportState.state === 'degraded',
        5000,
        'degraded',
      );
      const refused = await post(t.url, { type: 'tick', n: 3 });
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ maybePublished: false });
      expect(refused.body.message).toMatch(/nothing was published/);
    } finally {
      await t.close();
    }
  });

  it('answers 503 to an ingest once the bus is closing (shutdown has begun)', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding!: () => void;
    const isHolding = new Promise<void>((resolve) => (holding = resolve));
    // A module the bus's options come from, slow to shut down: it is
    // deeper than the library's module, so Nest runs its hook after the
    // bus closed (a global module would have no depth: this one is not),
    // and the HTTP server still answers meanwhile.
    @Injectable()
    class SlowToStop implements BeforeApplicationShutdown {
      async beforeApplicationShutdown(): Promise<void> {
        holding();
        await held;
      }
    }
    @Module({ providers: [SlowToStop], exports: [SlowToStop] })
    class SettingsModule {}
    @Module({
      imports: [
        EventBusModule.forRootAsync({
          isGlobal: false,
          ingest: true,
          imports: [SettingsModule],
          inject: [SlowToStop],
          useFactory: () => ({ worker: false }),
        }),
      ],
    })
    class AppModule {}
    const moduleRef = await Test.createTestingModule({
      imports: [AppModule],
    }).compile();
    const app: INestApplication = moduleRef.createNestApplication({
      logger: false,
    });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const closing = app.close();
    try {
      await isHolding;
      expect(app.get(EventBusService).isClosed).toBe(true);
      const response = await post(url, { type: 'late' });
      expect(response.status).toBe(503);
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/^The event bus is closed/),
      });
    } finally {
      release();
      await closing;
    }
  });

  it('answers 400 to a malformed SSE request, with the field and a stable code', async () => {
    const t = await startApp({ worker: false });
    try {
      const response = await fetch(`${t.url}/api/events/stream?types=a,,b`);
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message:
          'types: must be an array of non-empty type names (or a comma-separated string)',
        field: 'types',
        code: 'bad_request',
      });
    } finally {
      await t.close();
    }
  });
});
