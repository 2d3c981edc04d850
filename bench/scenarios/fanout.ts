/**
 * Scenarios 1 and 2 (fan-out): saturation with batches of 64 and of one
 * event, and latency at 1,000 events/s, 100 clients on one server; plus the
 * unmeasured warm-up round each server gets first.
 */
import type { Latency, Throughput } from '../measure.js';
import { measureLatency, measureThroughput } from '../measurements.js';
import {
  closeClients,
  clients,
  connectAll,
  pinned,
  settle,
  startServer,
  type Kind,
} from '../processes.js';
import { S, sleep } from '../settings.js';

export interface FanoutRound {
  saturation: Throughput;
  /** The same closed loop with batches of one event: nothing to batch. */
  unbatched: Throughput;
  latency: Latency;
}

export async function fanoutRound(kind: Kind): Promise<FanoutRound> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  try {
    await connectAll(port);
    // Latency first, on a fresh server (before saturation leaves garbage).
    const latency = await pinned([peer], () => measureLatency(peer, true));
    const saturate = (batch: number) => () =>
      peer.call({ cmd: 'saturate', batch, bytes: S.eventBytes });
    const stop = () => peer.call({ cmd: 'stop' });
    const saturation = await measureThroughput({
      server: peer,
      start: saturate(S.saturationBatch),
      stop,
    });
    const unbatched = await measureThroughput({
      server: peer,
      start: saturate(1),
      stop,
      warmupMs: S.warmupMs / 2,
      windowMs: S.windowMs / 2,
    });
    await closeClients();
    return { saturation, unbatched, latency };
  } finally {
    await peer.stop();
  }
}

/**
 * One unmeasured round per server before the measured ones, so that the
 * first measured round does not pay for cold load clients (JIT) alone.
 */
export async function warmUp(kind: Kind): Promise<void> {
  const { peer, port } = await startServer({ kind }, `${kind} server`);
  try {
    await connectAll(port);
    const paced = peer.call({
      cmd: 'pace',
      rate: S.latencyRate,
      bytes: S.eventBytes,
      maxPerTick: S.latencyRate,
    });
    await Promise.all(clients.map((c) => c.call({ cmd: 'latency', on: true })));
    await sleep(1000);
    await Promise.all(
      clients.map((c) => c.call({ cmd: 'latency', on: false })),
    );
    await peer.call({ cmd: 'stop' });
    await paced;
    await peer.call({
      cmd: 'saturate',
      batch: S.saturationBatch,
      bytes: S.eventBytes,
    });
    await sleep(1000);
    await peer.call({ cmd: 'stop' });
    await settle(clients);
    await closeClients();
  } finally {
    await peer.stop();
  }
}
