import { ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  EventBusModuleExtras,
  EventBusModuleOptions,
} from './event-bus-options.interface.js';
import {
  DEFAULT_SNAPSHOT_PATH,
  DEFAULT_SSE_PATH,
  EVENT_BUS_OPTIONS,
  LIVEBUS_ROUTES,
} from './event-bus.constants.js';
import { createPredictionsGateway } from '../features/gateway/predictions-gateway.provider.js';
import { createIngestController } from '../features/ingest/events.controller.js';
import { createSnapshotController } from '../features/snapshot/snapshot.controller.js';
import { createEventStreamController } from '../features/sse/event-stream.controller.js';
import { featureParts } from './feature-parts.js';
import { resolveFeatureOptions } from './resolve-options.js';
import { createClientScriptController } from '../features/client-script/client-script.controller.js';

export const {
  ConfigurableModuleClass: ConfigurableEventBusModule,
  OPTIONS_TYPE: EVENT_BUS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: EVENT_BUS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<EventBusModuleOptions>({
  moduleName: 'EventBus',
  optionsInjectionToken: EVENT_BUS_OPTIONS,
})
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createEventBusOptions')
  .setExtras<EventBusModuleExtras>(
    {
      isGlobal: true,
      snapshotPath: DEFAULT_SNAPSHOT_PATH,
      ingest: false,
      ssePath: DEFAULT_SSE_PATH,
      metrics: false,
      inspector: false,
      clientPath: false,
    },
    (definition, extras) => {
      const resolved = resolveFeatureOptions(extras);
      const features = featureParts(resolved);
      const snapshotPath = extras.snapshotPath ?? DEFAULT_SNAPSHOT_PATH;
      const ssePath =
        extras.ssePath === false ? null : (extras.ssePath ?? DEFAULT_SSE_PATH);
      // The routes the origins policy (CORS) covers.
      const routes = [snapshotPath, ssePath, resolved.ingest?.path].filter(
        (path): path is string => typeof path === 'string',
      );
      return {
        ...definition,
        global: extras.isGlobal,
        // The gateway is bound to the namespace option: a class per registration.
        providers: [
          ...(definition.providers ?? []),
          ...createPredictionsGateway(),
          ...features.providers,
          { provide: LIVEBUS_ROUTES, useValue: routes },
        ],
        controllers: [
          createSnapshotController(snapshotPath),
          ...(ssePath === null ? [] : [createEventStreamController(ssePath)]),
          ...(resolved.ingest
            ? [createIngestController(resolved.ingest.path)]
            : []),
          ...features.controllers,
          ...(extras.clientPath === false || extras.clientPath === undefined
            ? []
            : [createClientScriptController(clientRoute(extras.clientPath))]),
        ],
      };
    },
  )
  .build();

function clientRoute(path: unknown): string {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(
      "clientPath must be a route such as 'livebus/client.js', or false",
    );
  }
  return path;
}

/** The token under which the module's options are provided. */
export function getEventBusOptionsToken(): string | symbol {
  return EVENT_BUS_OPTIONS;
}
