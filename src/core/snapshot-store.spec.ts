import { SnapshotStore } from './snapshot-store.js';

const store = (maxBytes: number, maxTypes = 1000) =>
  new SnapshotStore({ maxTypes, maxBytes, transientTypes: new Set() });

/** What the JSON text of the snapshot takes, in bytes, for comparing. */
const textBytes = (s: SnapshotStore) => Buffer.byteLength(s.toJson());

describe('SnapshotStore', () => {
  it('counts each entry as what it adds to the JSON text, in UTF-8 bytes', () => {
    const s = store(10_000);
    s.set('a', '{"type":"a"}');
    s.set('é', '{"type":"é","v":"€"}');
    // `{` + entries joined by `,` + `}`: one byte more than the count.
    expect(s.bytes).toBe(textBytes(s) - 1);
    s.set('a', '{"type":"a","v":2}');
    expect(s.bytes).toBe(textBytes(s) - 1);
    s.clear();
    expect(s.bytes).toBe(0);
  });

  it('drops the least recently updated types past its byte budget', () => {
    const event = (type: string) =>
      `{"type":"${type}","payload":"${'x'.repeat(80)}"}`;
    const entry = Buffer.byteLength(`"t0":${event('t0')},`);
    const s = store(3 * entry);
    s.set('t0', event('t0'));
    s.set('t1', event('t1'));
    s.set('t2', event('t2'));
    expect(s.size).toBe(3);
    s.set('t0', event('t0')); // t0 is now the most recent
    s.set('t3', event('t3'));
    expect(Object.keys(s.toObject())).toEqual(['t2', 't0', 't3']);
    expect(s.bytes).toBeLessThanOrEqual(3 * entry);
  });

  it('makes room for a large event by dropping as many old ones as it takes', () => {
    const s = store(1000);
    for (let i = 0; i < 20; i++) s.set(`t${i}`, `{"type":"t${i}"}`);
    const large = `{"type":"big","payload":"${'y'.repeat(900)}"}`;
    s.set('big', large);
    expect(s.bytes).toBeLessThanOrEqual(1000);
    expect(s.toObject().big).toEqual(JSON.parse(large));
    expect(s.size).toBeLessThan(21);
  });

  it('keeps the type count bound as before', () => {
    const s = store(10_000, 2);
    s.set('a', '{"type":"a"}');
    s.set('b', '{"type":"b"}');
    s.set('c', '{"type":"c"}');
    expect(Object.keys(s.toObject())).toEqual(['b', 'c']);
  });
});
