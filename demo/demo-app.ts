import { Module, type Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventBusModule, type EventBusModuleOptions } from '../src/index.js';

// This file runs from dist/demo/ (npm start) or demo/ (tests): find the
// repository root either way, for the page and the built browser client.
const here = dirname(fileURLToPath(import.meta.url));
const root = here.endsWith(`${sep}dist${sep}demo`)
  ? join(here, '..', '..')
  : join(here, '..');

/** The demo module: the in-memory bus and, unless told otherwise, the activity worker. */
export function demoModule(options: EventBusModuleOptions = {}): Type {
  @Module({
    imports: [
      EventBusModule.forRoot({
        overflow: 'conflate', // a slow page skips to the latest of each type
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

/** Serves the live page at `/` and the browser client it imports. */
export function serveLivePage(app: NestExpressApplication): void {
  app.useStaticAssets(join(root, 'demo', 'public'));
  // The client and the protocol it imports, as built (plain ES modules).
  for (const part of ['client', 'protocol']) {
    app.useStaticAssets(join(root, 'dist', 'src', part), {
      prefix: `/livebus/${part}/`,
    });
  }
}
