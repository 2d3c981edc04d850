import {
  ForbiddenException,
  HttpException,
  HttpStatus,
  UnauthorizedException,
  type Logger,
} from '@nestjs/common';
import { WsException } from '@nestjs/websockets';
import type { CloseCode, CloseNotice } from '../../protocol/codes.js';
import { closeNotice } from '../../delivery/close-notice.js';

/** The codes an access decision refuses with. */
export type AccessCode = Extract<
  CloseCode,
  'unauthorized' | 'forbidden' | 'auth_expired' | 'rate_limited'
>;

/**
 * Thrown when the bus's access control refuses a connection, a request or a
 * message: no credential or a bad one (`unauthorized`), a credential not
 * allowed this (`forbidden`, e.g. a type it may not read), or one that
 * expired (`auth_expired`). A Socket.IO client gets it as `connect_error`
 * (or a `subscribe` ack) with `data.code`; HTTP answers `401` or `403`.
 */
export class AccessRefusedError extends Error {
  override readonly name = 'AccessRefusedError';

  constructor(
    /** Stable, for programs. */
    readonly code: AccessCode,
    message: string,
    /** The request field at fault, e.g. `types`, when one is. */
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }

  /** The notice a Socket.IO client or an SSE stream is given. */
  get notice(): CloseNotice {
    return closeNotice(this.code, this.message);
  }
}

/** The refusal of a request that carries no principal `authenticate` accepts. */
export const unauthenticated = (): AccessRefusedError =>
  new AccessRefusedError(
    'unauthorized',
    'authentication required: send a valid credential',
  );

/** The refusal of a principal whose `expiresAt` has passed. */
export const credentialExpired = (): AccessRefusedError =>
  new AccessRefusedError(
    'auth_expired',
    'the credential expired: connect again with a fresh one',
  );

/** The HTTP answer to an access refusal: `401`, `403` (or `429`). */
export function accessHttpException(error: AccessRefusedError): HttpException {
  const body = {
    message: error.message,
    code: error.code,
    ...(error.field ? { field: error.field } : {}),
  };
  switch (error.code) {
    case 'forbidden':
      return new ForbiddenException({
        statusCode: HttpStatus.FORBIDDEN,
        error: 'Forbidden',
        ...body,
      });
    case 'rate_limited':
      return new HttpException(
        {
          statusCode: HttpStatus.TOO_MANY_REQUESTS,
          error: 'Too Many Requests',
          ...body,
        },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    default:
      return new UnauthorizedException({
        statusCode: HttpStatus.UNAUTHORIZED,
        error: 'Unauthorized',
        ...body,
      });
  }
}

/**
 * What a guard's refusal means for a Socket.IO client: an access refusal
 * keeps its code; Nest's `UnauthorizedException` is `unauthorized`, a `429`
 * (a throttler's) `rate_limited`, any other `HttpException` or a
 * `WsException` `forbidden` (its message is
 * the app's, meant for clients). Anything else is a fault in a guard:
 * `null` (the caller refuses with `forbidden` and logs it; its message is
 * never sent).
 */
export function accessRefusal(error: unknown): AccessRefusedError | null {
  if (error instanceof AccessRefusedError) return error;
  if (error instanceof HttpException) {
    const status = error.getStatus();
    return new AccessRefusedError(
      status === 401
        ? 'unauthorized'
        : status === 429
          ? 'rate_limited'
          : 'forbidden',
      error.message,
    );
  }
  if (error instanceof WsException) {
    return new AccessRefusedError('forbidden', error.message);
  }
  return null;
}

/**
 * The notice a socket refused for `error` gets: an access refusal's, or for
 * a fault in a guard (logged here, with its stack) `forbidden` with a
 * message that tells nothing of it.
 */
export function socketRefusalNotice(
  error: unknown,
  logger: Pick<Logger, 'error'>,
): CloseNotice {
  const refusal = accessRefusal(error);
  if (refusal) return refusal.notice;
  logger.error(
    `a guard failed at the Socket.IO handshake (the client is refused): ${error instanceof Error ? error.message : String(error)}`,
    error instanceof Error ? error.stack : undefined,
  );
  return closeNotice('forbidden', 'Forbidden resource');
}
