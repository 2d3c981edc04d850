import { arrayElementTexts } from './json-elements.js';

const texts = (json: string) =>
  arrayElementTexts(Buffer.from(json), (JSON.parse(json) as unknown[]).length);

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

  it('answers null for what is not an array of that many elements', () => {
    expect(texts('[]')).toEqual([]);
    expect(arrayElementTexts(Buffer.from('{"type":"a"}'), 1)).toBeNull();
    expect(arrayElementTexts(Buffer.from('[1,2]'), 3)).toBeNull();
  });
});
