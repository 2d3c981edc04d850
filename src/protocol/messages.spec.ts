import { gapOnlyConflated, type Gap } from './messages.js';

describe('gapOnlyConflated', () => {
  const gap = (fields: object): Gap =>
    ({ missed: 3, fromSeq: 1, toSeq: 4, ...fields }) as Gap;

  it('is true only when the per-type counts add up to missed', () => {
    expect(gapOnlyConflated(gap({ conflated: { a: 2, b: 1 } }))).toBe(true);
    expect(gapOnlyConflated(gap({ conflated: { a: 2 } }))).toBe(false);
    expect(gapOnlyConflated(gap({ conflated: {} }))).toBe(false);
    // Drop-oldest and disconnect gaps carry no counts: a loss.
    expect(gapOnlyConflated(gap({}))).toBe(false);
  });

  it('reads types named like Object.prototype members as they came off the wire', () => {
    const parsed = JSON.parse(
      '{"missed":3,"fromSeq":1,"toSeq":3,"conflated":{"__proto__":2,"constructor":1}}',
    ) as Gap;
    expect(gapOnlyConflated(parsed)).toBe(true);
    const short = JSON.parse(
      '{"missed":3,"fromSeq":1,"toSeq":3,"conflated":{"__proto__":2}}',
    ) as Gap;
    expect(gapOnlyConflated(short)).toBe(false);
  });

  it('counts anything malformed as a loss', () => {
    for (const conflated of [
      null,
      'a',
      [3],
      { a: -1, b: 4 },
      { a: 1.5, b: 1.5 },
      { a: '3' },
    ]) {
      expect(gapOnlyConflated(gap({ conflated }))).toBe(false);
    }
    expect(gapOnlyConflated(null as unknown as Gap)).toBe(false);
    expect(
      gapOnlyConflated({ missed: 0, fromSeq: 1, toSeq: 1, conflated: {} }),
    ).toBe(false);
  });
});
