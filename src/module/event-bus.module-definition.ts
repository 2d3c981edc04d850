import { ConfigurableModuleBuilder } from '@nestjs/common';
import type {
  EventBusModuleExtras,
  EventBusModuleOptions,
} from './event-bus-options.interface.js';
import {
  DEFAULT_INGEST_PATH,
  DEFAULT_SNAPSHOT_PATH,
  DEFAULT_SSE_PATH,
  EVENT_BUS_OPTIONS,
} from './event-bus.constants.js';
import { createPredictionsGateway } from '../features/gateway/predictions.gateway.js';
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
      ingestPath: DEFAULT_INGEST_PATH,
      ssePath: DEFAULT_SSE_PATH,
      metrics: false,
      inspector: false,
      clientPath: false,
    },
    (definition, extras) => {
      const features = featureParts(resolveFeatureOptions(extras));
      return {
        ...definition,
        global: extras.isGlobal,
        // The gateway is bound to the namespace option: a class per registration.
        providers: [
          ...(definition.providers ?? []),
          ...createPredictionsGateway(),
          ...features.providers,
        ],
        controllers: [
          createSnapshotController(
            extras.snapshotPath ?? DEFAULT_SNAPSHOT_PATH,
          ),
          ...(extras.ssePath === false
            ? []
            : [
                createEventStreamController(extras.ssePath ?? DEFAULT_SSE_PATH),
              ]),
          ...(extras.ingestPath === false
            ? []
            : [
                createIngestController(
                  extras.ingestPath ?? DEFAULT_INGEST_PATH,
                ),
              ]),
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
