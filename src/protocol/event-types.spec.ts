import {
  eventTypeProblem,
  isEventType,
  MAX_TYPE_LENGTH,
  quotePrefix,
} from './event-types.js';

describe('eventTypeProblem: an event type is a name, not text', () => {
  it.each([
    'status',
    'prediction',
    'tray_state',
    'order.created',
    'sensor/temp-1',
    'a:b',
    'T9',
    'x'.repeat(MAX_TYPE_LENGTH),
  ])('accepts %j', (type) => {
    expect(eventTypeProblem(type)).toBeNull();
    expect(isEventType(type)).toBe(true);
  });

  it.each([
    [
      'a line break that would forge SSE fields',
      'a\nid: 999999\nevent: snapshot',
    ],
    ['a carriage return that would set retry:', 'a\rretry: 99999999\r'],
    ['a space', 'two words'],
    ['a quote', 'say"hi'],
    ['a NUL', 'a\u0000b'],
    ['a leading digit', '9lives'],
    ['a leading underscore', '_private'],
    ['a non-ASCII letter', 'café'],
    ['an empty string', ''],
    ['too long a name', 'x'.repeat(MAX_TYPE_LENGTH + 1)],
    ['a Socket.IO reserved name', 'disconnect'],
    ['a bus message name', 'snapshot'],
    ['the bus prefix', 'livebus:close'],
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['toString', 'toString'],
    ['hasOwnProperty', 'hasOwnProperty'],
    ['valueOf', 'valueOf'],
  ])('refuses %s', (_label, type) => {
    expect(eventTypeProblem(type)).toEqual(expect.any(String));
    expect(isEventType(type)).toBe(false);
  });

  it.each([[undefined], [null], [42], [{}], [['a']]])(
    'refuses the non-string %j',
    (value) => {
      expect(eventTypeProblem(value)).toMatch(/must be a non-empty string/);
    },
  );

  it('quotes at most a short prefix of what it refuses', () => {
    const problem = eventTypeProblem(`a ${'y'.repeat(10_000)}`)!;
    expect(problem.length).toBeLessThan(200);
    expect(quotePrefix('z'.repeat(1000))).toContain('(1000 characters)');
  });
});
