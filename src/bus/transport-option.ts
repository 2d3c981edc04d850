import type {
  InjectionToken,
  OptionalFactoryDependency,
  Type,
} from '@nestjs/common';
import type { EventTransport } from '../transports/event-transport.js';
import {
  checkRedisOptions,
  type RedisTransportOptions,
} from '../transports/redis/redis-options.js';

/** The app's own transport class; the module creates it, injecting its constructor's dependencies. */
export interface TransportClassProvider {
  useClass: Type<EventTransport>;
}

/** A factory of the app's own transport, called with the providers `inject` names. */
export interface TransportFactoryProvider {
  useFactory: (...args: never[]) => EventTransport | Promise<EventTransport>;
  /** Providers passed to `useFactory`, in order; visible to `EventBusModule` (global, or in `forRootAsync`'s `imports`). */
  inject?: (InjectionToken | OptionalFactoryDependency)[];
}

/**
 * What carries events: `'memory'` (one process), the Redis options (several
 * nodes), or the app's own {@link EventTransport}: an instance, a class
 * (`{ useClass }`) or a factory (`{ useFactory, inject }`).
 */
export type TransportOption =
  | 'memory'
  | RedisTransportOptions
  | TransportClassProvider
  | TransportFactoryProvider
  | EventTransport;

/** Which of the forms of {@link TransportOption} an option is. */
export type TransportForm =
  'memory' | 'redis' | 'class' | 'factory' | 'instance';

const FORMS =
  "'memory', { type: 'redis', url }, { useClass }, { useFactory, inject } or an EventTransport";

const MEMBERS = ['start', 'append', 'stop'] as const;

/**
 * Which form `option` takes, after checking it: a TypeError naming
 * `transport` (or its field) otherwise. It never prints what it refuses, as
 * a Redis URL may hold a password.
 */
export function transportForm(option: unknown): TransportForm {
  if (option === 'memory') return 'memory';
  if (typeof option === 'string') {
    throw new TypeError(
      `transport must be ${FORMS}, got a string other than 'memory'`,
    );
  }
  if (typeof option !== 'object' || option === null) {
    throw new TypeError(
      `transport must be ${FORMS}, got ${option === null ? 'null' : typeof option}`,
    );
  }
  const record = option as Record<string, unknown>;
  if ('useClass' in record) {
    if (typeof record.useClass !== 'function') {
      throw new TypeError(
        'transport.useClass must be a class implementing EventTransport',
      );
    }
    return 'class';
  }
  if ('useFactory' in record) {
    if (typeof record.useFactory !== 'function') {
      throw new TypeError(
        'transport.useFactory must be a function that returns an EventTransport',
      );
    }
    if (record.inject !== undefined && !Array.isArray(record.inject)) {
      throw new TypeError(
        'transport.inject must be an array of injection tokens',
      );
    }
    return 'factory';
  }
  if (MEMBERS.some((name) => typeof record[name] === 'function')) {
    assertEventTransport(option, 'transport');
    return 'instance';
  }
  if ('type' in record) {
    if (record.type !== 'redis') {
      throw new TypeError(
        `transport.type must be 'redis' (or pass 'memory', { useClass }, { useFactory } or an EventTransport)`,
      );
    }
    checkRedisOptions(option as RedisTransportOptions);
    return 'redis';
  }
  const keys = Object.keys(record)
    .slice(0, 5)
    .map((key) => key.slice(0, 20));
  throw new TypeError(
    `transport must be ${FORMS}, got an object with ${keys.length > 0 ? `keys ${keys.join(', ')}` : 'no keys'}`,
  );
}

/**
 * Throws a TypeError naming `what` unless `value` has what the bus calls
 * on a transport.
 */
export function assertEventTransport(
  value: unknown,
  what: string,
): asserts value is EventTransport {
  const record = (
    typeof value === 'object' && value !== null ? value : {}
  ) as Record<string, unknown>;
  const missing = [
    ...MEMBERS.filter((name) => typeof record[name] !== 'function').map(
      (name) => `${name}()`,
    ),
    ...(typeof record.sharedSequence === 'boolean'
      ? []
      : ['sharedSequence (a boolean)']),
    ...(typeof record.state === 'string' ? [] : ['state']),
  ];
  if (missing.length > 0) {
    throw new TypeError(
      `${what} must be an EventTransport; it lacks ${missing.join(', ')}`,
    );
  }
}

/** `option`, checked (see {@link transportForm}). */
export function checkTransportOption(option: unknown): TransportOption {
  transportForm(option);
  return option as TransportOption;
}
