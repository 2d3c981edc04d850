import fc from 'fast-check';
import { arrayElementTexts } from './json-elements.js';

const texts = (json: string) =>
  arrayElementTexts(Buffer.from(json), JSON.parse(json) as unknown[]);

// Compact JSON text whose objects may name a key more than once (which
// JSON.parse accepts, keeping the last), keys never integer-like (those
// JSON.stringify would move to the front).
const { text: compactJsonText } = fc.letrec((tie) => ({
  text: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 0 }).map((leaf) => JSON.stringify(leaf)),
    fc
      .array(
        fc.tuple(fc.constantFrom('type', 'a', 'b', '__proto__'), tie('text')),
        { maxLength: 4 },
      )
      .map(
        (members) =>
          `{${members.map(([key, value]) => `"${key}":${value as string}`).join(',')}}`,
      ),
    fc
      .array(tie('text'), { maxLength: 3 })
      .map((items) => `[${items.join(',')}]`),
  ),
}));

describe('arrayElementTexts', () => {
  it('slices each element of a compact array, strings with brackets, commas and escapes included', () => {
    const events = [
      { type: 'a', s: 'x,]}[{"\\', n: -1.5e3, u: '\u2028é😀', z: null },
      { type: 'q', s: '\\', t: '\\\\"', u: '"\\' },
      { type: 'b', nested: [[1, { d: [] }], {}], t: true },
      'str"ing',
      42,
      [],
    ];
    const found = texts(JSON.stringify(events))!;
    expect(found).toEqual(events.map((e) => JSON.stringify(e)));
    expect(found.map((t) => JSON.parse(t!) as unknown)).toEqual(events);
  });

  it('leaves out elements with whitespace between their tokens, and trims around the others', () => {
    expect(
      texts(' [ {"type":"a"} ,\n{ "type": "b" },\t{"type":"c"}\r\n] '),
    ).toEqual(['{"type":"a"}', undefined, '{"type":"c"}']);
    expect(texts('[{"s":"a b"}]')).toEqual(['{"s":"a b"}']);
  });

  it('keeps only a text that is exactly the parsed element as JSON, never one naming a key twice', () => {
    fc.assert(
      fc.property(fc.array(compactJsonText, { maxLength: 5 }), (items) => {
        const body = `[${items.join(',')}]`;
        const parsed = JSON.parse(body) as unknown[];
        const found = arrayElementTexts(Buffer.from(body), parsed);
        expect(found).toHaveLength(parsed.length);
        found!.forEach((text, i) => {
          if (text !== undefined) expect(text).toBe(JSON.stringify(parsed[i]));
        });
      }),
      { numRuns: 2000 },
    );
    expect(texts('[{"type":"livebus:gap","type":"a"},{"type":"a"}]')).toEqual([
      undefined,
      '{"type":"a"}',
    ]);
    expect(texts('[{"type":"a","o":{"k":1,"k":2}}]')).toEqual([undefined]);
  });

  it('answers null for what is not an array of that many elements', () => {
    expect(texts('[]')).toEqual([]);
    expect(arrayElementTexts(Buffer.from('{"type":"a"}'), [{}])).toBeNull();
    expect(arrayElementTexts(Buffer.from('[1,2]'), [1, 2, 3])).toBeNull();
  });
});
