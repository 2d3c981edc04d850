// An app with @nestjs/throttler as a global guard beside the module's own
// limits, run as its own Node process by test/throttler.e2e-spec.ts:
// @nestjs/throttler is CommonJS and requires Nest 12's ES modules, which
// Node loads (require(esm)) but Jest's module registry does not.
// Usage: node dist/test/support/throttler-app.js '<json settings>'; prints
// `listening on <url>`.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { EventBusModule } from '../../src/index.js';

const settings = JSON.parse(process.argv[2] ?? '{}') as {
  throttle: { ttl: number; limit: number };
  requestsPerSecond: number;
};

@Module({
  imports: [
    ThrottlerModule.forRoot([settings.throttle]),
    EventBusModule.forRoot({
      ingest: { requestsPerSecond: settings.requestsPerSecond },
    }),
  ],
  providers: [{ provide: APP_GUARD, useClass: ThrottlerGuard }],
})
class ThrottledApp {}

const app = await NestFactory.create(ThrottledApp, { logger: false });
app.enableShutdownHooks();
await app.listen(0, '127.0.0.1');
process.stdout.write(
  `listening on ${(await app.getUrl()).replace('[::1]', '127.0.0.1')}\n`,
);
