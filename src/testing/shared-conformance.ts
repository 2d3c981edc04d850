import { expect, it } from '@jest/globals';
import {
  TRANSIENT_TYPE,
  describeMessages,
  until,
  type ConformanceNode,
  type ConformanceNodes,
} from './conformance-nodes.js';
import type { TransportConformanceHarness } from './harness.js';

/** The cases of a transport whose nodes share one numbering. */
export function describeSharedConformance(
  harness: TransportConformanceHarness,
  nodes: ConformanceNodes,
  timeoutMs: number,
): void {
  const caseTimeoutMs = timeoutMs * 3;
  const reach = (node: ConformanceNode, seq: number, who: string) =>
    until(() => node.bus.lastSeq >= seq, timeoutMs, `${who} to reach ${seq}`);

  it(
    'two nodes number in one stream: every event reaches both, in the same order, with the same seq',
    async () => {
      const [a, b] = [await nodes.start(), await nodes.start()];
      expect(b.bus.epoch).toBe(a.bus.epoch);
      const before = a.bus.lastSeq;
      const appends = Array.from({ length: 20 }, (_, i) => {
        const node = i % 2 === 0 ? a : b;
        return node.transport.append([node.event(`from.${i % 2}`, i)]);
      });
      const receipts = await Promise.all(appends);
      const seqs = receipts.map((receipt) => receipt.seq).sort((x, y) => x - y);
      expect(seqs).toEqual(seqs.map((_, i) => before + 1 + i));
      for (const receipt of receipts) expect(receipt.epoch).toBe(a.bus.epoch);
      await reach(a, before + 20, 'node A');
      await reach(b, before + 20, 'node B');
      const onA = describeMessages(a.received());
      expect(onA.map(([seq]) => seq)).toEqual(seqs);
      expect(describeMessages(b.received())).toEqual(onA);
    },
    caseTimeoutMs,
  );

  it(
    'a node started later loads the epoch, the seq, the latest events and an exact history',
    async () => {
      const a = await nodes.start();
      const events = Array.from({ length: 12 }, (_, n) =>
        a.event(n % 4 === 3 ? TRANSIENT_TYPE : `kind.${n % 3}`, n),
      );
      let last = 0;
      for (const event of events) {
        last = (await a.transport.append([event])).seq;
      }
      await reach(a, last, 'node A');
      const b = await nodes.start();
      expect([b.bus.epoch, b.bus.lastSeq]).toEqual([a.bus.epoch, last]);
      expect(b.bus.snapshot()).toEqual(a.bus.snapshot());
      expect(Object.keys(b.bus.snapshot())).not.toContain(TRANSIENT_TYPE);
      expectExactResume(b, a, last - events.length);
      // And B publishes into the same stream.
      const receipt = await b.transport.append([b.event('from.b', 99)]);
      expect(receipt).toEqual({ seq: last + 1, epoch: a.bus.epoch });
      await reach(a, last + 1, 'node A');
      expect(a.bus.snapshot()).toMatchObject({ 'from.b': { n: 99 } });
    },
    caseTimeoutMs,
  );

  it(
    'a restarted node (stopped, then started on a new bus) loads what the backend kept',
    async () => {
      const a = await nodes.start();
      let last = 0;
      for (let n = 1; n <= 5; n++) {
        last = (await a.transport.append([a.event(`kind.${n % 2}`, n)])).seq;
      }
      await reach(a, last, 'node A');
      const { epoch, lastSeq } = a.bus;
      const snapshot = a.bus.snapshot();
      await a.transport.stop();
      const again = await nodes.start();
      expect([again.bus.epoch, again.bus.lastSeq]).toEqual([epoch, lastSeq]);
      expect(again.bus.snapshot()).toEqual(snapshot);
      expectExactResume(again, a, lastSeq - 5);
    },
    caseTimeoutMs,
  );

  const wipe = harness.wipe;
  if (wipe) {
    it(
      'numbers in a new epoch once the backend lost its data, and every node restarts in it',
      async () => {
        const [a, b] = [await nodes.start(), await nodes.start()];
        const { seq } = await a.transport.append([
          a.event('before', 1),
          a.event('before', 2),
        ]);
        await reach(b, seq + 1, 'node B');
        const old = a.bus.epoch;
        await wipe();
        const event = a.event('after', 1);
        const receipt = await a.transport.append([event]);
        expect(receipt.epoch).not.toBe(old);
        for (const [node, who] of [
          [a, 'node A'],
          [b, 'node B'],
        ] as const) {
          await until(
            () =>
              node.bus.epoch === receipt.epoch &&
              node.bus.lastSeq >= receipt.seq,
            timeoutMs,
            `${who} to restart in the new epoch`,
          );
          expect(node.resets()).toBeGreaterThanOrEqual(1);
          expect(node.bus.snapshot()).toEqual({
            after: { type: 'after', n: 1 },
          });
          expect(node.bus.resume(old, 2)).toEqual({
            kind: 'reset',
            reason: 'epoch',
          });
        }
      },
      caseTimeoutMs,
    );
  }
}

/**
 * `node` resumes a client from every seq since `from` either exactly as
 * `source` saw the events, or by a reset because it kept less: never a
 * replay with a hole or a wrong event.
 */
function expectExactResume(
  node: ConformanceNode,
  source: ConformanceNode,
  from: number,
): void {
  const seen = describeMessages(source.received());
  for (let after = from; after <= node.bus.lastSeq; after++) {
    const plan = node.bus.resume(node.bus.epoch, after);
    if (plan.kind === 'reset') {
      expect(plan.reason).toBe('history');
      continue;
    }
    expect(describeMessages(plan.messages)).toEqual(
      seen.filter(([seq]) => seq > after),
    );
  }
}
