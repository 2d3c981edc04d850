import type { Provider } from '@nestjs/common';
import {
  RESOLVED_OPTIONS,
  type MetricsRegistry,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';

/** @internal The token of the registry the metrics go into. */
export const METRICS_REGISTRY = Symbol('LIVEBUS_METRICS_REGISTRY');

/**
 * The app's registry, or prom-client's global one, loaded only now (an
 * optional peer: the module loads without it while metrics are off).
 */
export async function metricsRegistry(
  options: ResolvedEventBusOptions,
): Promise<MetricsRegistry> {
  if (options.metrics?.registry) return options.metrics.registry;
  try {
    const prom = await import('prom-client');
    return prom.register as unknown as MetricsRegistry;
  } catch (error) {
    throw new Error(
      `The metrics option needs the 'prom-client' package (npm install prom-client): ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** @internal */
export const metricsRegistryProvider: Provider = {
  provide: METRICS_REGISTRY,
  useFactory: metricsRegistry,
  inject: [RESOLVED_OPTIONS],
};
