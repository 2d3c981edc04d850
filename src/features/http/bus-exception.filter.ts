import {
  BadRequestException,
  Catch,
  HttpException,
  HttpStatus,
  PayloadTooLargeException,
  ServiceUnavailableException,
  type ArgumentsHost,
} from '@nestjs/common';
import { BaseExceptionFilter } from '@nestjs/core';
import {
  BusClosedError,
  BusNotReadyError,
  EventTooLargeError,
  InvalidEventError,
} from '../../core/errors.js';
import { ClientRequestError } from '../../delivery/client-request.js';
import {
  accessHttpException,
  AccessRefusedError,
} from '../auth/access-refused.error.js';
import { TransportUnavailableError } from '../../transports/event-transport.js';

/** The bus's errors this filter answers. */
export type BusError =
  | InvalidEventError
  | BusNotReadyError
  | BusClosedError
  | TransportUnavailableError
  | ClientRequestError
  | AccessRefusedError;

/**
 * @internal Answers the bus's own errors on the library's HTTP endpoints,
 * the one place they are mapped: not ready or closing `503`, an event over
 * `maxEventBytes` `413`, an invalid event or request `400` (with the
 * `field`), a shared transport that cannot take the events `503` (with
 * `maybePublished`), an access refusal `401`/`403` (with the `code`).
 * Anything else goes to Nest's own handling.
 */
@Catch(
  InvalidEventError,
  BusNotReadyError,
  BusClosedError,
  TransportUnavailableError,
  ClientRequestError,
  AccessRefusedError,
)
export class BusExceptionFilter extends BaseExceptionFilter {
  override catch(error: BusError, host: ArgumentsHost): void {
    super.catch(toHttpException(error), host);
  }
}

/** The HTTP answer to one of the bus's errors. */
export function toHttpException(error: BusError): HttpException {
  if (error instanceof AccessRefusedError) return accessHttpException(error);
  if (error instanceof EventTooLargeError) {
    return new PayloadTooLargeException({
      statusCode: HttpStatus.PAYLOAD_TOO_LARGE,
      error: 'Payload Too Large',
      message: error.message,
      field: error.path,
    });
  }
  if (error instanceof InvalidEventError) {
    return new BadRequestException({
      statusCode: HttpStatus.BAD_REQUEST,
      error: 'Bad Request',
      message: error.message,
      field: error.path,
    });
  }
  if (error instanceof ClientRequestError) {
    return new BadRequestException({
      statusCode: HttpStatus.BAD_REQUEST,
      error: 'Bad Request',
      message: error.message,
      field: error.field,
      code: error.code,
    });
  }
  if (error instanceof TransportUnavailableError) {
    return new ServiceUnavailableException({
      statusCode: HttpStatus.SERVICE_UNAVAILABLE,
      error: 'Service Unavailable',
      message: error.message,
      maybePublished: error.maybePublished,
    });
  }
  // Not ready yet, or closing: try again (elsewhere, or later).
  return new ServiceUnavailableException(error.message);
}
