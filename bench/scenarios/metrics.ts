/**
 * Scenarios 6 and 7 (what metrics and guards cost): figure 1's saturation
 * alone, on a fresh server of ours with metrics (`bench/metrics-cost.ts`)
 * or `auth` (`bench/bench-auth.ts`, the clients sending their token in the
 * handshake; `bench/guard-cost.ts`) on or off. Each cost file pairs the
 * rounds.
 */
import { BENCH_AUTH } from '../bench-auth.js';
import type { Throughput } from '../measure.js';
import { measureThroughput } from '../measurements.js';
import { closeClients, connectAll, startServer } from '../processes.js';
import type { ServerSetup } from '../protocol.js';
import { S } from '../settings.js';

async function saturationOnly(
  setup: ServerSetup,
  name: string,
  auth?: typeof BENCH_AUTH,
): Promise<Throughput> {
  const { peer, port } = await startServer(setup, name);
  try {
    await connectAll(port, auth);
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

/** Our server with Prometheus metrics on or off. */
export const saturationRound = (metrics: boolean): Promise<Throughput> =>
  saturationOnly(
    { kind: 'ours', metrics },
    `ours server (metrics ${metrics ? 'on' : 'off'})`,
  );

/** Our server with `auth` (a guard, authenticate, canRead) or open. */
export const guardedSaturationRound = (guarded: boolean): Promise<Throughput> =>
  saturationOnly(
    { kind: 'ours', guarded },
    `ours server (${guarded ? 'guarded' : 'open'})`,
    guarded ? BENCH_AUTH : undefined,
  );
