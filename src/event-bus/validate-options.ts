import { assertPositive } from '../core/assert-option.js';
import type { EventBusModuleOptions } from './interfaces/event-bus-module-options.interface.js';

/**
 * Checks the module's own options (the core checks its queue and history
 * options, MonitorService its worker options) and throws a TypeError naming
 * the first bad one, when the module is created rather than on first use.
 */
export function validateModuleOptions(options: EventBusModuleOptions): void {
  const { namespace } = options;
  if (
    namespace !== undefined &&
    (typeof namespace !== 'string' || !namespace.startsWith('/'))
  ) {
    throw new TypeError(
      `namespace must be a Socket.IO namespace starting with '/', got ${JSON.stringify(namespace)}`,
    );
  }
  assertPositive('maxRequestBytes', options.maxRequestBytes);
  assertPositive('sseKeepAliveMs', options.sseKeepAliveMs);
  if (
    options.shutdownGraceMs !== undefined &&
    !(Number.isFinite(options.shutdownGraceMs) && options.shutdownGraceMs >= 0)
  ) {
    throw new TypeError(
      `shutdownGraceMs must be a number of ms, 0 or more, got ${String(options.shutdownGraceMs)}`,
    );
  }
}
