import { expect, it } from '@jest/globals';
import {
  IDEMPOTENCY_MAX_IDS,
  IDEMPOTENCY_WINDOW_MS,
  describeMessages,
  until,
  type ConformanceNode,
  type ConformanceNodes,
} from './conformance-nodes.js';
import type { TransportConformanceHarness } from './harness.js';
import type { PublishReceipt } from '../transports/event-transport.js';

/** The cases of idempotency ids (`append(events, { id })`). */
export function describeIdempotencyConformance(
  harness: TransportConformanceHarness,
  nodes: ConformanceNodes,
  timeoutMs: number,
): void {
  const caseTimeoutMs = timeoutMs * 3;
  const reach = (node: ConformanceNode, seq: number) =>
    until(() => node.bus.lastSeq >= seq, timeoutMs, `the bus to reach ${seq}`);
  /** The JSON of every event the node received, to count copies. */
  const copies = (node: ConformanceNode, json: string) =>
    node.received().filter((message) => message.json === json).length;

  it(
    'appends nothing for an id already stored, and resolves with the first receipt marked duplicate',
    async () => {
      const node = await nodes.start();
      const batch = [node.event('idem', 1), node.event('idem', 2)];
      const first = await node.transport.append(batch, { id: 'batch-1' });
      expect(first.duplicate).toBeFalsy();
      const retried = node.event('idem', 3);
      const again = await node.transport.append([retried], { id: 'batch-1' });
      expect(again).toEqual({ ...first, duplicate: true });
      // What follows takes the next seq: the duplicate took none.
      const next = await node.transport.append([node.event('idem', 4)]);
      expect(next.seq).toBe(first.seq + 2);
      await reach(node, next.seq);
      expect(describeMessages(node.received()).map(([seq]) => seq)).toEqual([
        first.seq,
        first.seq + 1,
        next.seq,
      ]);
      expect(copies(node, retried.json)).toBe(0);
    },
    caseTimeoutMs,
  );

  it(
    'stores an id once when appends with it are not awaited; other ids are appended',
    async () => {
      const node = await nodes.start();
      const event = node.event('idem.race', 1);
      const appends: Promise<PublishReceipt>[] = [];
      for (let i = 0; i < 5; i++) {
        appends.push(node.transport.append([event], { id: 'race' }));
        appends.push(
          node.transport.append([node.event('idem.other', i)], {
            id: `other-${i}`,
          }),
        );
      }
      const receipts = await Promise.all(appends);
      const raced = receipts.filter((_, i) => i % 2 === 0);
      expect(raced.filter((receipt) => !receipt.duplicate)).toHaveLength(1);
      for (const receipt of raced) {
        expect([receipt.seq, receipt.epoch]).toEqual([
          raced[0].seq,
          raced[0].epoch,
        ]);
      }
      const others = receipts.filter((_, i) => i % 2 === 1);
      expect(others.every((receipt) => !receipt.duplicate)).toBe(true);
      await reach(node, Math.max(...others.map((receipt) => receipt.seq)));
      expect(copies(node, event.json)).toBe(1);
      expect(node.received()).toHaveLength(6);
    },
    caseTimeoutMs,
  );

  it(
    `forgets an id after idempotencyWindowMs (${IDEMPOTENCY_WINDOW_MS} ms here) and past the newest idempotencyMaxIds (${IDEMPOTENCY_MAX_IDS})`,
    async () => {
      const node = await nodes.start();
      const aged = node.event('idem.aged', 1);
      const first = await node.transport.append([aged], { id: 'aged' });
      await new Promise((resolve) =>
        setTimeout(resolve, IDEMPOTENCY_WINDOW_MS + 300),
      );
      const later = await node.transport.append([aged], { id: 'aged' });
      expect(later.duplicate).toBeFalsy();
      expect(later.seq).toBeGreaterThan(first.seq);
      let last = later;
      for (let i = 0; i <= IDEMPOTENCY_MAX_IDS; i++) {
        last = await node.transport.append([node.event('idem.n', i)], {
          id: `n-${i}`,
        });
      }
      // n-0 is one past the newest idempotencyMaxIds: forgotten.
      const oldest = await node.transport.append([node.event('idem.n', 0)], {
        id: 'n-0',
      });
      expect(oldest.duplicate).toBeFalsy();
      expect(oldest.seq).toBe(last.seq + 1);
      const newest = await node.transport.append(
        [node.event('idem.n', IDEMPOTENCY_MAX_IDS)],
        { id: `n-${IDEMPOTENCY_MAX_IDS}` },
      );
      expect(newest).toEqual({ ...last, duplicate: true });
      await reach(node, oldest.seq);
    },
    caseTimeoutMs,
  );

  if (!harness.shared) return;

  it(
    'an id one node stored is a duplicate on another',
    async () => {
      const [a, b] = [await nodes.start(), await nodes.start()];
      const event = a.event('idem.shared', 1);
      const first = await a.transport.append([event], { id: 'shared-1' });
      const again = await b.transport.append([b.event('idem.shared', 1)], {
        id: 'shared-1',
      });
      expect(again).toEqual({ ...first, duplicate: true });
      const next = await b.transport.append([b.event('idem.shared', 2)]);
      expect(next.seq).toBe(first.seq + 1);
      for (const node of [a, b]) {
        await reach(node, next.seq);
        expect(copies(node, event.json)).toBe(1);
      }
    },
    caseTimeoutMs,
  );

  const wipe = harness.wipe;
  if (wipe) {
    it(
      'loses an id with the events it named: once the backend lost its data, the same id appends again',
      async () => {
        const node = await nodes.start();
        const event = node.event('idem.lost', 1);
        const first = await node.transport.append([event], { id: 'lost-1' });
        await reach(node, first.seq);
        await wipe();
        const again = await node.transport.append([event], { id: 'lost-1' });
        expect(again.duplicate).toBeFalsy();
        expect(again.epoch).not.toBe(first.epoch);
        await until(
          () => node.bus.epoch === again.epoch && node.bus.lastSeq >= again.seq,
          timeoutMs,
          'the node to restart in the new epoch',
        );
        expect(node.bus.snapshot()).toEqual({
          'idem.lost': { type: 'idem.lost', n: 1 },
        });
      },
      caseTimeoutMs,
    );
  }
}
