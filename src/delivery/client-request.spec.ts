import { InvalidEventError } from '../core/errors.js';
import {
  BAD_REQUEST_CODE,
  CLIENT_REQUEST_DEFAULTS as limits,
  ClientRequestError,
  jsonBytesOver,
  parseClientRequest,
  parseTypes,
} from './client-request.js';

function refusal(call: () => unknown): ClientRequestError {
  try {
    call();
  } catch (error) {
    return error as ClientRequestError;
  }
  throw new Error('not refused');
}

describe('parseClientRequest', () => {
  it('reads a resume point and a type filter, auth over query', () => {
    expect(
      parseClientRequest(
        { lastSeq: 4, epoch: 'e1', types: ['a', 'b'] },
        { lastSeq: '9', types: 'c' },
        limits,
      ),
    ).toEqual({
      resume: { epoch: 'e1', lastSeq: 4 },
      types: new Set(['a', 'b']),
    });
    expect(parseClientRequest(undefined, { types: 'a,b' }, limits)).toEqual({
      resume: null,
      types: new Set(['a', 'b']),
    });
  });

  it('refuses a bad handshake with its own error: a stable code, the field, not an invalid event', () => {
    const error = refusal(() =>
      parseClientRequest({ lastSeq: -1 }, {}, limits),
    );
    expect(error).toBeInstanceOf(ClientRequestError);
    expect(error).not.toBeInstanceOf(InvalidEventError);
    expect(error.code).toBe(BAD_REQUEST_CODE);
    expect(error.field).toBe('lastSeq');
    // What Socket.IO sends beside the message in `connect_error`.
    expect(error.data).toEqual({ code: 'bad_request' });
    expect(error.message).toBe(
      'lastSeq: must be a non-negative integer, got -1',
    );
    expect(
      refusal(() => parseClientRequest({ lastSeq: 1 }, {}, limits)).field,
    ).toBe('epoch');
  });

  it('refuses a type filter that is not a list of names', () => {
    for (const bad of [[''], [1], {}, 'a,,b']) {
      const error = refusal(() => parseTypes(bad, 'types', limits));
      expect(error).toBeInstanceOf(ClientRequestError);
      expect(error.field).toBe('types');
    }
  });
});

describe('jsonBytesOver', () => {
  it('measures a value as its JSON would be, in UTF-8 bytes', () => {
    for (const value of [
      {},
      [],
      { a: 1, b: [true, null, 'x'], c: { d: 'é€' } },
      ['a', 'b', 'c'],
      'plain',
      12345,
    ]) {
      const bytes = Buffer.byteLength(JSON.stringify(value));
      expect([
        jsonBytesOver(value, bytes),
        jsonBytesOver(value, bytes - 1),
      ]).toEqual([false, true]);
    }
  });

  it('stops early, and survives nesting far deeper than the stack', () => {
    let deep: unknown = [];
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(jsonBytesOver(deep, 1000)).toBe(true);
    expect(jsonBytesOver({ types: new Array(1e6).fill('a') }, 1000)).toBe(true);
  });
});
