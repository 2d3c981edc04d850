/**
 * Scenario 7 (guards cost): figure 1's saturation alone, on a fresh server
 * of ours with or without `auth` (bench/bench-auth.ts); the clients send
 * their token in the handshake. bench/guard-cost.ts pairs the rounds.
 */
import { BENCH_AUTH } from '../bench-auth.js';
import type { Throughput } from '../measure.js';
import { measureThroughput } from '../measurements.js';
import { closeClients, connectAll, startServer } from '../processes.js';
import { S } from '../settings.js';

export async function guardedSaturationRound(
  guarded: boolean,
): Promise<Throughput> {
  const { peer, port } = await startServer(
    { kind: 'ours', guarded },
    `ours server (${guarded ? 'guarded' : 'open'})`,
  );
  try {
    await connectAll(port, guarded ? BENCH_AUTH : undefined);
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
