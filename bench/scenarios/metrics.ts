/**
 * Scenario 6 (metrics cost): figure 1's saturation alone, on a fresh server
 * of ours with Prometheus metrics on or off; `bench/metrics-cost.ts` pairs
 * the rounds and reports the cost.
 */
import type { Throughput } from '../measure.js';
import { measureThroughput } from '../measurements.js';
import { closeClients, connectAll, startServer } from '../processes.js';
import { S } from '../settings.js';

export async function saturationRound(metrics: boolean): Promise<Throughput> {
  const { peer, port } = await startServer(
    { kind: 'ours', metrics },
    `ours server (metrics ${metrics ? 'on' : 'off'})`,
  );
  try {
    await connectAll(port);
    const result = await measureThroughput({
      server: peer,
      start: () =>
        peer.call({
          cmd: 'saturate',
          batch: S.saturationBatch,
          bytes: S.eventBytes,
        }),
      stop: () => peer.call({ cmd: 'stop' }),
    });
    await closeClients();
    return result;
  } finally {
    await peer.stop();
  }
}
