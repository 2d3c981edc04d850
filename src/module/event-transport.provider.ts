import {
  Inject,
  Logger,
  Optional,
  type FactoryProvider,
  type InjectionToken,
  type OptionalFactoryDependency,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../bus/event-bus-options.js';
import { EVENT_TRANSPORT } from '../bus/event-transport.token.js';
import {
  assertEventTransport,
  transportForm,
  type TransportFactoryProvider,
  type TransportOption,
} from '../bus/transport-option.js';
import type {
  EventTransport,
  TransportState,
} from '../transports/event-transport.js';
import { MemoryTransport } from '../transports/memory.transport.js';
import {
  RedisTransport,
  type RedisTransportOptions,
} from '../transports/redis/redis.transport.js';

/**
 * Provides the bus's transport under `EVENT_TRANSPORT`, from the `transport`
 * option (the way `@nestjs/throttler` provides its storage): the built-in
 * memory or Redis transport, or the app's own instance, class or factory,
 * whose dependencies Nest resolves from the module's scope.
 */
export const eventTransportProvider: FactoryProvider<Promise<EventTransport>> =
  {
    provide: EVENT_TRANSPORT,
    useFactory: (
      options: ResolvedEventBusOptions,
      moduleRef: ModuleRef | undefined,
    ) => createEventTransport(options.transport, moduleRef),
    // Optional: with a second copy of @nestjs/core installed, ModuleRef is
    // another class; the start-up check (preflight) then says what to do.
    inject: [RESOLVED_OPTIONS, { token: ModuleRef, optional: true }],
  };

async function createEventTransport(
  option: TransportOption,
  maybeModuleRef: ModuleRef | undefined,
): Promise<EventTransport> {
  const form = transportForm(option);
  if ((form === 'class' || form === 'factory') && !maybeModuleRef) {
    throw new Error(
      "transport.useClass/useFactory need Nest's ModuleRef, which this module cannot inject: the app has another copy of @nestjs/core than nestjs-livebus resolves (run npm ls @nestjs/core, and dedupe)",
    );
  }
  const moduleRef = maybeModuleRef!;
  switch (form) {
    case 'memory':
      return new MemoryTransport();
    case 'redis':
      return createRedisTransport(option as RedisTransportOptions);
    case 'instance':
      return option as EventTransport;
    case 'class': {
      const { useClass } = option as { useClass: new () => EventTransport };
      const transport: unknown = await moduleRef.create(useClass);
      assertEventTransport(transport, 'the instance of transport.useClass');
      return transport;
    }
    case 'factory': {
      const { useFactory, inject = [] } = option as TransportFactoryProvider;
      const args = await injected(moduleRef, inject);
      const transport: unknown = await (
        useFactory as (...args: unknown[]) => unknown
      )(...args);
      assertEventTransport(transport, 'what transport.useFactory returned');
      return transport;
    }
  }
}

/**
 * The providers `inject` names, resolved by Nest's injector from the
 * module's scope (waiting for each to be created, as for any provider's
 * dependencies): through a throwaway class whose constructor asks for them.
 */
async function injected(
  moduleRef: ModuleRef,
  inject: readonly (InjectionToken | OptionalFactoryDependency)[],
): Promise<unknown[]> {
  class TransportFactoryArguments {
    readonly values: unknown[];
    constructor(...values: unknown[]) {
      this.values = values;
    }
  }
  inject.forEach((dependency, index) => {
    const optional =
      typeof dependency === 'object' &&
      dependency !== null &&
      'token' in dependency;
    Inject(optional ? dependency.token : dependency)(
      TransportFactoryArguments,
      undefined,
      index,
    );
    if (optional && dependency.optional) {
      Optional()(TransportFactoryArguments, undefined, index);
    }
  });
  return (await moduleRef.create(TransportFactoryArguments)).values;
}

/** The Redis transport, its state changes logged (and still told to the app). */
function createRedisTransport(options: RedisTransportOptions): RedisTransport {
  const logger = new Logger('EventBus');
  return new RedisTransport({
    ...options,
    onStateChange: (state: TransportState, reason?: string) => {
      if (state === 'degraded') {
        logger.warn(
          `Redis unreachable (${reason}); publishing fails until it is back, reading resumes by itself`,
        );
      } else if (state === 'ready') {
        logger.log(
          'Redis reachable again; reading the stream where it left off',
        );
      }
      options.onStateChange?.(state, reason);
    },
  });
}
