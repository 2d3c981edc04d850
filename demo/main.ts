import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { demoModule } from './demo-app.js';
import { TokenGuard } from './token.guard.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const redisUrl = process.env.REDIS_URL;
// With AUTH_TOKEN every entry point of the bus requires it (the page,
// its files, /health and /ready stay open: they carry no events).
const token = process.env.AUTH_TOKEN || undefined;

const app = await NestFactory.create<NestExpressApplication>(
  demoModule({
    ...(redisUrl ? { transport: { type: 'redis', url: redisUrl } } : {}),
    ...(token ? { auth: { guards: [new TokenGuard(token)] } } : {}),
  }),
);
// SIGINT/SIGTERM run the lifecycle hooks: readiness goes down, the worker
// stops, clients are told and disconnected, the server closes.
app.enableShutdownHooks();
await app.listen(port, host);
const url = (await app.getUrl()).replace('[::1]', host);
const logger = new Logger('Demo');
logger.log(
  `live page on ${url}/ (the inspector) · GET /metrics · GET /health · GET /ready · Socket.IO namespace /predictions · GET /api/ws/snapshot · GET /api/events/stream · POST /api/events · transport ${redisUrl ? 'redis' : 'memory'} · ${token ? `access: AUTH_TOKEN required (the page: ${url}/#token=...)` : 'access: open'}`,
);
if (!token && !['127.0.0.1', '::1', 'localhost'].includes(host)) {
  logger.warn(
    `HOST=${host} without AUTH_TOKEN: anyone who reaches this port may read and publish`,
  );
}
