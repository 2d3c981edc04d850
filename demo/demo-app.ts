import { Module, type Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventBusModule, type EventBusModuleOptions } from '../src/index.js';

// This file runs from dist/demo/ (npm start) or demo/ (tests): find the
// repository root either way, for the page.
const here = dirname(fileURLToPath(import.meta.url));
const root = here.endsWith(`${sep}dist${sep}demo`)
  ? join(here, '..', '..')
  : join(here, '..');

/** The demo module: the in-memory bus and, unless told otherwise, the activity worker. */
export function demoModule(options: EventBusModuleOptions = {}): Type {
  @Module({
    imports: [
      EventBusModule.forRoot({
        // The browser client as one ES module, for the page.
        clientPath: 'livebus/client.js',
        worker: {
          pollIntervalMs: Number(process.env.POLL_INTERVAL_MS ?? 2000),
        },
        ...options,
      }),
    ],
  })
  class DemoModule {}
  return DemoModule;
}

/** Serves the live page at `/` (the module serves the client it imports). */
export function serveLivePage(app: NestExpressApplication): void {
  app.useStaticAssets(join(root, 'demo', 'public'));
}
