import { Inject, Optional, type Provider, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { WebSocketGateway } from '@nestjs/websockets';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import { EventBusService } from '../../bus/event-bus.service.js';
import { LivebusDrain } from '../../bus/livebus-drain.js';
import {
  DELIVERY_OBSERVER,
  type DeliveryObserver,
} from '../../delivery/delivery-observer.js';
import { LivebusAuth } from '../auth/livebus-auth.service.js';
import { LivebusLimits } from '../limits/livebus-limits.service.js';
import { LivebusOrigins } from '../origins/livebus-origins.service.js';
import { PredictionsGateway } from './predictions.gateway.js';

/**
 * @internal The gateway class of one module registration, and
 * `PredictionsGateway` as an alias of it.
 *
 * Nest binds a gateway to the namespace in its class metadata, and the
 * namespace is an option (it may come from `forRootAsync`'s factory), so
 * each registration gets its own subclass, which writes its metadata when
 * Nest creates it with the resolved options. Nest creates every provider
 * before it binds gateways (`app.init()`), so it reads that namespace.
 */
export function createPredictionsGateway(): Provider[] {
  @WebSocketGateway()
  class BoundPredictionsGateway extends PredictionsGateway {
    constructor(
      bus: EventBusService,
      @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
      @Inject(DELIVERY_OBSERVER) observer: DeliveryObserver,
      drain: LivebusDrain,
      auth: LivebusAuth,
      rateLimits: LivebusLimits,
      origins: LivebusOrigins,
      // Optional: with a second copy of @nestjs/core installed this token
      // is another class, and the start-up check says so instead.
      @Optional() moduleRef?: ModuleRef,
    ) {
      super(
        bus,
        options,
        observer,
        drain,
        auth,
        rateLimits,
        origins,
        moduleRef,
      );
      WebSocketGateway({ namespace: options.namespace })(new.target);
    }
  }
  const bound: Type<PredictionsGateway> = BoundPredictionsGateway;
  return [bound, { provide: PredictionsGateway, useExisting: bound }];
}
