import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { demoModule } from './demo-app.js';

const host = process.env.HOST ?? '127.0.0.1';
const port = Number(process.env.PORT ?? 3000);
const redisUrl = process.env.REDIS_URL;

const app = await NestFactory.create<NestExpressApplication>(
  demoModule(redisUrl ? { transport: { type: 'redis', url: redisUrl } } : {}),
);
// SIGINT/SIGTERM run the lifecycle hooks: readiness goes down, the worker
// stops, clients are told and disconnected, the server closes.
app.enableShutdownHooks();
await app.listen(port, host);
const url = (await app.getUrl()).replace('[::1]', host);
new Logger('Demo').log(
  `live page on ${url}/ (the inspector) · GET /metrics · GET /health · GET /ready · Socket.IO namespace /predictions · GET /api/ws/snapshot · GET /api/events/stream · POST /api/events · transport ${redisUrl ? 'redis' : 'memory'}`,
);
