import type { ResolvedCoreOptions } from '../core/core-options.js';
import type { EventTransport, TransportState } from './event-transport.js';
import { MemoryTransport } from './memory.transport.js';
import {
  RedisTransport,
  type RedisTransportOptions,
} from './redis/redis.transport.js';

/** Which transport carries events: in memory (one process) or Redis (several nodes). */
export type TransportOption = 'memory' | RedisTransportOptions;

/** @internal */
export function createTransport(
  option: TransportOption | undefined,
  bus: ResolvedCoreOptions,
  log: (state: TransportState, reason?: string) => void,
): EventTransport {
  if (option === undefined || option === 'memory') return new MemoryTransport();
  if (option.type === 'redis') {
    return new RedisTransport(
      {
        ...option,
        onStateChange: (state, reason) => {
          log(state, reason);
          option.onStateChange?.(state, reason);
        },
      },
      bus,
    );
  }
  throw new TypeError(
    `transport must be 'memory' or { type: 'redis', url }, got ${JSON.stringify(option)}`,
  );
}
