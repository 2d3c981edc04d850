/**
 * Scenario 3 (stalled client): server memory while one client stops reading
 * and a fast one keeps up with 100,000 events of 1 KB.
 */
import {
  clientMarks,
  clients,
  closeClients,
  settle,
  startServer,
  type Kind,
} from '../processes.js';
import type { ClientMark, PaceResult, ServerMemory } from '../protocol.js';
import { S, sleep } from '../settings.js';

export interface StallRound {
  /** RSS of the fresh server with the fast client only. */
  rssCold: number;
  /** RSS after the warm-up, with the stalled client joined and not reading. */
  rssBefore: number;
  rssAfter: number;
  growth: number;
  /** The highest RSS during the 100,000 events, above `rssBefore`. */
  peakGrowth: number;
  /** `rssAfter - rssCold`: a cold server's growth, warm-up included. */
  coldGrowth: number;
  heapBefore: number;
  heapAfter: number;
  publishSeconds: number;
  fastReceived: number;
  fastGaps: number;
  fastOutOfOrder: number;
  stalledReceived: number;
}

export async function stallRound(kind: Kind): Promise<StallRound> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  const [fast, stalled] = clients;
  const publish = (total: number) =>
    peer.call<PaceResult>(
      {
        cmd: 'pace',
        rate: S.stallRate,
        bytes: S.stallEventBytes,
        maxPerTick: 128,
        total,
      },
      300_000,
    );
  const fastReaches = async (total: number): Promise<ClientMark> =>
    (await settle([fast], total, 1000))[0];
  try {
    await fast.call({ cmd: 'connect', port, count: 1, checkOrder: true });
    const cold = await peer.call<ServerMemory>({ cmd: 'mem' });
    await publish(S.stallWarmupEvents);
    const warm = await fastReaches(S.stallWarmupEvents);
    await stalled.call({ cmd: 'connect', port, count: 1 });
    await stalled.call({ cmd: 'stall' });
    await sleep(200);
    const before = await peer.call<ServerMemory>({ cmd: 'mem' });
    const paced = await publish(S.stallEvents);
    const done = await fastReaches(S.stallWarmupEvents + S.stallEvents);
    const after = await peer.call<ServerMemory>({ cmd: 'mem' });
    const [stalledMark] = await clientMarks([stalled]);
    await closeClients([fast, stalled]);
    return {
      rssCold: cold.rss,
      rssBefore: before.rss,
      rssAfter: after.rss,
      growth: after.rss - before.rss,
      peakGrowth: after.peakRss - before.rss,
      coldGrowth: after.rss - cold.rss,
      heapBefore: before.heapUsed,
      heapAfter: after.heapUsed,
      publishSeconds: paced.ms / 1000,
      fastReceived: done.events - warm.events,
      fastGaps: done.gaps - warm.gaps,
      fastOutOfOrder: done.outOfOrder,
      stalledReceived: stalledMark.events,
    };
  } finally {
    await peer.stop();
  }
}
