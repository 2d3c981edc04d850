import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  ConformanceNodes,
  activeHandles,
  describeMessages,
  expectUnavailable,
  noHandlesLeftSince,
  settled,
  until,
} from './conformance-nodes.js';
import type { TransportConformanceHarness } from './harness.js';
import { describeIdempotencyConformance } from './idempotency-conformance.js';
import { describeOutageConformance } from './outage-conformance.js';
import { describeSharedConformance } from './shared-conformance.js';
import type { PublishReceipt } from '../transports/event-transport.js';

export type { TransportConformanceHarness };

/**
 * Registers (with Jest's `describe`/`it`) the cases every `EventTransport`
 * must pass: ordering and contiguous seqs, the receipt's epoch, appends
 * refused before start and after stop, idempotency ids (an id stored once,
 * remembered within the bus's window, forgotten after), and shutdown; for a
 * shared transport
 * also two nodes in one stream, a node started later or restarted loading
 * the shared state, and a new epoch when the backend loses its data; with
 * an `outage`, errors while the backend is down and recovery after.
 *
 * ```ts
 * describeTransportConformance('my transport', {
 *   shared: true,
 *   create: () => new MyTransport(url),
 *   reset: () => flushMyBackend(),
 * });
 * ```
 */
export function describeTransportConformance(
  name: string,
  harness: TransportConformanceHarness,
): void {
  const timeoutMs = harness.timeoutMs ?? 10_000;
  // Each case waits for at most a few things that may take timeoutMs.
  const caseTimeoutMs = timeoutMs * 3;
  const nodes = new ConformanceNodes(() => harness.create());

  describe(`${name}: EventTransport conformance`, () => {
    beforeEach(async () => {
      await harness.reset?.();
    });
    afterEach(async () => {
      await nodes.stopAll();
    });

    it(
      `goes from starting to ready to stopped, and says its numbering is ${harness.shared ? '' : 'not '}shared`,
      async () => {
        const node = await nodes.make();
        expect(node.transport.sharedSequence).toBe(harness.shared);
        expect(node.transport.state).toBe('starting');
        await node.transport.start(node.bus);
        expect(node.transport.state).toBe('ready');
        await node.transport.stop();
        expect(node.transport.state).toBe('stopped');
      },
      caseTimeoutMs,
    );

    it(
      'numbers a batch contiguously, resolves with its first seq in the bus epoch, and delivers it in order',
      async () => {
        const node = await nodes.start();
        const before = node.bus.lastSeq;
        const batch = [1, 2, 3].map((n) => node.event(`batch.t${n % 2}`, n));
        const receipt = await node.transport.append(batch);
        expect(receipt).toEqual({ seq: before + 1, epoch: node.bus.epoch });
        await until(
          () => node.bus.lastSeq >= before + 3,
          timeoutMs,
          'the batch to reach the bus',
        );
        expect(describeMessages(node.received())).toEqual(
          batch.map((event, i) => [before + 1 + i, event.type, event.json]),
        );
      },
      caseTimeoutMs,
    );

    it(
      'keeps the call order of appends not awaited, with no hole and no duplicate',
      async () => {
        const node = await nodes.start();
        const before = node.bus.lastSeq;
        const batches = Array.from({ length: 30 }, (_, i) =>
          Array.from({ length: (i % 3) + 1 }, (_, j) =>
            node.event('order', i * 10 + j),
          ),
        );
        const receipts = await Promise.all(
          batches.map((batch) => node.transport.append(batch)),
        );
        const expected = batches.flat();
        let seq = before + 1;
        receipts.forEach((receipt: PublishReceipt, i) => {
          expect(receipt).toEqual({ seq, epoch: node.bus.epoch });
          seq += batches[i].length;
        });
        await until(
          () => node.bus.lastSeq >= before + expected.length,
          timeoutMs,
          `${expected.length} events to reach the bus`,
        );
        expect(describeMessages(node.received())).toEqual(
          expected.map((event, i) => [before + 1 + i, event.type, event.json]),
        );
      },
      caseTimeoutMs,
    );

    it(
      'refuses an append before start and after stop with TransportUnavailableError, maybePublished false',
      async () => {
        const node = await nodes.make();
        const early = await settled(
          node.transport.append([node.event('early', 1)]),
        );
        expectUnavailable(early, false);
        await node.transport.start(node.bus);
        await node.transport.stop();
        const late = await settled(
          node.transport.append([node.event('late', 1)]),
        );
        expectUnavailable(late, false);
      },
      caseTimeoutMs,
    );

    it(
      'stops (twice, too) without leaving a socket or a timer behind',
      async () => {
        const before = await activeHandles();
        const node = await nodes.start();
        await node.transport.append([node.event('shutdown', 1)]);
        await until(() => node.bus.lastSeq > 0, timeoutMs, 'the event');
        await node.transport.stop();
        await node.transport.stop();
        expect(node.transport.state).toBe('stopped');
        await noHandlesLeftSince(before);
      },
      caseTimeoutMs,
    );

    it(
      'stops without having started',
      async () => {
        const node = await nodes.make();
        await node.transport.stop();
        expect(node.transport.state).toBe('stopped');
      },
      caseTimeoutMs,
    );

    describeIdempotencyConformance(harness, nodes, timeoutMs);
    if (harness.shared) describeSharedConformance(harness, nodes, timeoutMs);
    else {
      it(
        'starts a bus without changing its numbering (nothing is shared to load)',
        async () => {
          const node = await nodes.make();
          const epoch = node.bus.epoch;
          await node.transport.start(node.bus);
          expect([node.bus.epoch, node.bus.lastSeq]).toEqual([epoch, 0]);
          expect(node.bus.snapshot()).toEqual({});
        },
        caseTimeoutMs,
      );
    }
    if (harness.outage) {
      describeOutageConformance(harness, harness.outage, nodes, timeoutMs);
    }
  });
}
