import {
  applyDecorators,
  Inject,
  Injectable,
  Logger,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { RefusalLog } from '../../delivery/close-notice.js';
import {
  DELIVERY_OBSERVER,
  type DeliveryObserver,
} from '../../delivery/delivery-observer.js';
import {
  accessHttpException,
  accessRefusal,
  AccessRefusedError,
} from './access-refused.error.js';
import { LivebusAuth } from './livebus-auth.service.js';
import {
  getLivebusEntry,
  LIVEBUS_ENTRY,
  type LivebusEntryKind,
} from './livebus-entry.js';

/**
 * @internal The guard of the bus's HTTP entry points (SSE, snapshot,
 * ingest, the inspector's and metrics' data): runs the `auth` option's
 * guards and `authenticate` after the app's global ones, keeps the
 * principal with the request, and answers a refusal `401`/`403` before the
 * handler runs, so a refused request never gets a byte of the stream.
 * Does nothing without the `auth` option.
 */
@Injectable()
export class LivebusAuthGuard implements CanActivate {
  private readonly refusals = new RefusalLog(new Logger('LivebusAuth'));

  constructor(
    private readonly auth: LivebusAuth,
    @Inject(DELIVERY_OBSERVER) private readonly observer: DeliveryObserver,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (!this.auth.enabled) return true;
    try {
      await this.auth.admitRequest(context);
      return true;
    } catch (error) {
      const refusal = accessRefusal(error);
      if (refusal && getLivebusEntry(context) === 'sse') {
        this.observer.refused('sse', refusal.code);
        this.refusals.refused('sse', refusal.notice);
      }
      throw error instanceof AccessRefusedError
        ? accessHttpException(error)
        : error;
    }
  }
}

/**
 * @internal Marks one of the bus's HTTP entry points (a controller class or
 * a handler) and puts it behind {@link LivebusAuthGuard}.
 */
export const LivebusEntry = (
  kind: LivebusEntryKind,
): ClassDecorator & MethodDecorator =>
  applyDecorators(
    SetMetadata(LIVEBUS_ENTRY, kind),
    UseGuards(LivebusAuthGuard),
  );
