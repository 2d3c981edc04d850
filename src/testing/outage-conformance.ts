import { afterEach, expect, it } from '@jest/globals';
import {
  activeHandles,
  expectUnavailable,
  noHandlesLeftSince,
  settled,
  until,
  type ConformanceNodes,
} from './conformance-nodes.js';
import type { TransportConformanceHarness } from './harness.js';
import type { EncodedEvent } from '../core/event-codec.js';

/** The cases of a transport whose backend can be taken away (`outage`). */
export function describeOutageConformance(
  harness: TransportConformanceHarness,
  outage: NonNullable<TransportConformanceHarness['outage']>,
  nodes: ConformanceNodes,
  timeoutMs: number,
): void {
  const caseTimeoutMs = timeoutMs * 4;
  let down = false;
  const begin = async () => {
    down = true;
    await outage.begin();
  };
  const end = async () => {
    down = false;
    await outage.end();
  };
  afterEach(async () => {
    if (down) await end();
  });

  it(
    'while the backend is down, refuses appends with TransportUnavailableError and says degraded; once back, takes them again',
    async () => {
      const a = await nodes.start();
      const b = harness.shared ? await nodes.start() : null;
      await a.transport.append([a.event('up', 1)]);
      await begin();
      await until(
        () => a.transport.state === 'degraded',
        timeoutMs,
        "the transport's state to become degraded",
      );
      const refused: EncodedEvent[] = [];
      for (let n = 1; n <= 3; n++) {
        const event = a.event('while-down', n);
        const error = expectUnavailable(
          await settled(a.transport.append([event])),
        );
        if (!error.maybePublished) refused.push(event);
      }
      await end();
      await until(
        () => a.transport.state === 'ready',
        timeoutMs,
        "the transport's state to become ready again",
      );
      // The first appends after the backend came back may still meet a
      // connection being re-established; one must go through in time.
      const back = a.event('back', 1);
      const deadline = Date.now() + timeoutMs;
      let receipt = null;
      while (!receipt) {
        const outcome = await settled(a.transport.append([back]));
        if ('value' in outcome) receipt = outcome.value;
        else if (Date.now() > deadline) throw outcome.error;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      for (const node of b ? [a, b] : [a]) {
        await until(
          () =>
            node.bus.epoch === receipt.epoch && node.bus.lastSeq >= receipt.seq,
          timeoutMs,
          'the event appended after the outage to reach every node',
        );
        expect(node.bus.snapshot()).toMatchObject({ back: { n: 1 } });
        // What was refused with maybePublished false never appears.
        const seen = node.received().map((message) => message.json);
        for (const event of refused) expect(seen).not.toContain(event.json);
        expect(Object.keys(node.bus.snapshot())).not.toContain('while-down');
      }
    },
    caseTimeoutMs,
  );

  it(
    'fails to start while the backend is down, leaving no socket or timer behind',
    async () => {
      await begin();
      const before = await activeHandles();
      const node = await nodes.make();
      const outcome = await settled(node.transport.start(node.bus));
      expect(outcome).toEqual({ error: expect.any(Error) });
      await node.transport.stop();
      await noHandlesLeftSince(before);
      await end();
    },
    caseTimeoutMs,
  );

  it(
    'stops promptly while the backend is down, leaving no socket or timer behind',
    async () => {
      const before = await activeHandles();
      const node = await nodes.start();
      await begin();
      await until(
        () => node.transport.state === 'degraded',
        timeoutMs,
        "the transport's state to become degraded",
      );
      const started = Date.now();
      await node.transport.stop();
      expect(Date.now() - started).toBeLessThan(timeoutMs);
      await noHandlesLeftSince(before);
      await end();
    },
    caseTimeoutMs,
  );
}
