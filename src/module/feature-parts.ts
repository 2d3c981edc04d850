import type { Provider, Type } from '@nestjs/common';
import {
  RESOLVED_FEATURES,
  type ResolvedFeatureOptions,
} from '../bus/event-bus-options.js';
import { createInspectorController } from '../features/inspector/inspector.controller.js';
import { LivebusMetrics } from '../features/metrics/livebus-metrics.js';
import { createMetricsController } from '../features/metrics/metrics.controller.js';
import { metricsRegistryProvider } from '../features/metrics/metrics-registry.provider.js';

/**
 * The controllers and providers of the optional features (metrics, the
 * inspector), as the resolved options ask: nothing at all while off, so
 * their optional peers (prom-client) are never loaded.
 */
export function featureParts(features: ResolvedFeatureOptions): {
  controllers: Type[];
  providers: Provider[];
} {
  const controllers: Type[] = [];
  const providers: Provider[] = [
    { provide: RESOLVED_FEATURES, useValue: features },
  ];
  if (features.metrics) {
    providers.push(metricsRegistryProvider, LivebusMetrics);
    if (features.metrics.path !== null) {
      controllers.push(createMetricsController(features.metrics.path));
    }
  }
  if (features.inspector) {
    controllers.push(createInspectorController(features.inspector.path));
  }
  return { controllers, providers };
}
