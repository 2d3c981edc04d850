import { Envelope } from './envelope.js';
import { History, type HistoryOptions } from './history.js';

const event = (seq: number, pad = 0, type = 'tick'): Envelope =>
  new Envelope(
    seq,
    type,
    JSON.stringify({ type, seq, p: 'é€😀'.repeat(pad) }),
    1000 + seq,
  );

const history = (options: Partial<HistoryOptions> = {}) =>
  new History({
    maxEvents: 10_000,
    maxAgeMs: Infinity,
    maxBytes: Infinity,
    now: () => 0,
    ...options,
  });

const seqsAfter = (h: History, after: number) =>
  h.since(after)?.map((e) => e.seq) ?? null;

describe('History (byte ring)', () => {
  it('replays the exact JSON, type and time of each event, multi-byte text included', () => {
    const h = history();
    const sent = [1, 2, 3].map((seq) => event(seq, seq * 50, `t${seq}`));
    for (const e of sent) h.append(e);
    const replay = h.since(0)!;
    expect(replay.map((e) => [e.seq, e.type, e.json, e.acceptedAt])).toEqual(
      sent.map((e) => [e.seq, e.type, e.json, e.acceptedAt]),
    );
    expect(h.sizeBytes).toBe(
      sent.reduce((n, e) => n + Buffer.byteLength(e.json), 0),
    );
  });

  it('keeps the newest maxEvents across many segments and growth of its slots', () => {
    const h = history({ maxEvents: 3000 });
    // About 5 MB in all: several segments filled, emptied and reused.
    for (let seq = 1; seq <= 5000; seq++) h.append(event(seq, 100));
    expect(h.size).toBe(3000);
    expect(h.since(1999)).toBeNull();
    const replay = h.since(4990)!;
    expect(replay.map((e) => e.seq)).toEqual(
      Array.from({ length: 10 }, (_, i) => 4991 + i),
    );
    expect(replay[9].json).toBe(event(5000, 100).json);
    expect(seqsAfter(h, 2000)?.length).toBe(3000);
  });

  it('is bounded by bytes and by age', () => {
    const one = Buffer.byteLength(event(10).json);
    const bytes = history({ maxBytes: one * 4 });
    for (let seq = 1; seq <= 10; seq++) bytes.append(event(seq));
    expect(bytes.size).toBe(4);
    expect(seqsAfter(bytes, 6)).toEqual([7, 8, 9, 10]);

    let now = 0;
    const aged = history({ maxAgeMs: 5, now: () => now });
    for (let seq = 1; seq <= 10; seq++) aged.append(event(seq));
    now = 1000 + 7 + 5;
    expect(seqsAfter(aged, 6)).toEqual([7, 8, 9, 10]);
    now = 1_000_000;
    expect(aged.size).toBe(0);
    aged.append(new Envelope(11, 'tick', '{"type":"tick"}', now));
    expect(seqsAfter(aged, 10)).toEqual([11]);
  });

  it('keeps an event larger than a segment, and starts again after clear', () => {
    const h = history({ maxEvents: 3 });
    const big = event(1, 200_000);
    h.append(big);
    h.append(event(2));
    expect(h.since(0)!.map((e) => e.json)).toEqual([big.json, event(2).json]);
    h.clear();
    expect(h.size).toBe(0);
    expect(h.since(2)).toBeNull();
    for (let seq = 3; seq <= 6; seq++) h.append(event(seq));
    expect(seqsAfter(h, 3)).toEqual([4, 5, 6]);
  });

  it('keeps nothing with maxEvents 0', () => {
    const h = history({ maxEvents: 0 });
    h.append(event(1));
    expect(h.size).toBe(0);
    expect(h.since(0)).toBeNull();
  });
});
