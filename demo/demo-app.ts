import { Module, type Type } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import {
  EventBusModule,
  type EventBusModuleExtras,
  type EventBusModuleOptions,
} from '../src/index.js';
import { LivebusHealthModule } from '../src/features/health/index.js';
import { HealthController } from './health.controller.js';

/** `ALLOWED_ORIGINS=https://a.example,https://b.example`: the other origins allowed. */
function allowedOrigins(): string[] | undefined {
  const list = (process.env.ALLOWED_ORIGINS ?? '')
    .split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/**
 * The demo module: the in-memory bus and, unless told otherwise, the
 * activity worker; the inspector at `/`, Prometheus metrics at `/metrics`,
 * and `/health` and `/ready`. On SIGTERM it stays up, not ready, for
 * `SHUTDOWN_DRAIN_MS` (default 0) so a load balancer can take it out first.
 */
export function demoModule(
  options: EventBusModuleOptions & EventBusModuleExtras = {},
): Type {
  @Module({
    imports: [
      EventBusModule.forRoot({
        overflow: 'conflate', // a slow page skips to the latest of each type
        // Private by default in the library; the demo asks for both.
        // The browser client as one ES module, for pages of your own.
        clientPath: 'livebus/client.js',
        worker: {
          activity: {
            pollIntervalMs: Number(process.env.POLL_INTERVAL_MS ?? 2000),
          },
        },
        ingest: true,
        ...(allowedOrigins() ? { origins: allowedOrigins() } : {}),
        metrics: { path: 'metrics' },
        inspector: { path: '/' },
        ...options,
      }),
      TerminusModule.forRoot({
        gracefulShutdownTimeoutMs: Number(process.env.SHUTDOWN_DRAIN_MS ?? 0),
        logger: false,
      }),
      LivebusHealthModule,
    ],
    controllers: [HealthController],
  })
  class DemoModule {}
  return DemoModule;
}
