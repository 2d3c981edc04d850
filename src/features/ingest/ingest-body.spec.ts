import type { IncomingMessage } from 'node:http';
import {
  type HttpException,
  PayloadTooLargeException,
  UnsupportedMediaTypeException,
} from '@nestjs/common';
import { assertJsonContentType, checkParsedBody } from './ingest-body.js';

function refusal(call: () => unknown): HttpException {
  try {
    call();
  } catch (error) {
    return error as HttpException;
  }
  throw new Error('not refused');
}

describe('assertJsonContentType', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'APPLICATION/JSON; Charset="utf8"',
    'application/cloudevents+json',
    'application/vnd.api+json;charset=UTF-8',
  ])('accepts %s', (type) => {
    expect(() => assertJsonContentType(type)).not.toThrow();
  });

  it.each([
    undefined,
    '',
    'text/plain',
    'text/json',
    'application/jsonp',
    'application/+json',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded',
  ])('refuses %j with 415 naming what is accepted', (type) => {
    const error = refusal(() => assertJsonContentType(type));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeException);
    expect(String(error.message)).toMatch(
      /application\/json or application\/\*\+json, UTF-8/,
    );
  });
});

describe('checkParsedBody (a body an app parser read)', () => {
  const request = (
    body: unknown,
    headers: Record<string, string> = {},
  ): IncomingMessage & { body?: unknown } =>
    ({
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }) as unknown as IncomingMessage & { body?: unknown };

  it('passes a body within the limit', () => {
    expect(checkParsedBody(request({ type: 'a' }), 100)).toEqual({
      type: 'a',
    });
  });

  it('refuses by the declared length, or by the parsed body as JSON', () => {
    expect(
      refusal(() =>
        checkParsedBody(
          request({ type: 'a' }, { 'content-length': '500' }),
          100,
        ),
      ),
    ).toBeInstanceOf(PayloadTooLargeException);
    const chunked = refusal(() =>
      checkParsedBody(request({ type: 'a', pad: 'x'.repeat(200) }), 100),
    );
    expect(chunked).toBeInstanceOf(PayloadTooLargeException);
    expect(String(chunked.message)).toMatch(
      /over the limit of 100 bytes \(option maxRequestBytes\)/,
    );
  });
});
