/**
 * Scenario 5 (Redis): two of our nodes share a redis-server; events are
 * published on node A and delivered to the 100 clients on node B.
 */
import type { Latency, Throughput } from '../measure.js';
import { measureLatency, measureThroughput } from '../measurements.js';
import { closeClients, connectAll, pinned, startServer } from '../processes.js';
import { S } from '../settings.js';

export interface RedisRound {
  saturation: Throughput;
  latency: Latency;
}

export async function redisRound(
  url: string,
  redisPid: number,
): Promise<RedisRound> {
  const a = await startServer({ kind: 'ours', redisUrl: url }, 'node A');
  const b = await startServer({ kind: 'ours', redisUrl: url }, 'node B');
  try {
    await connectAll(b.port);
    b.peer.on('progress', (delivered) =>
      a.peer.post({ cmd: 'progress', delivered }),
    );
    const saturation = await measureThroughput({
      server: b.peer,
      publisher: a.peer,
      start: async () => {
        await b.peer.call({ cmd: 'report-progress', on: true });
        await a.peer.call({
          cmd: 'window',
          batch: S.redisBatch,
          bytes: S.eventBytes,
          window: S.redisWindow,
        });
      },
      stop: async () => {
        await a.peer.call({ cmd: 'stop' });
        await b.peer.call({ cmd: 'report-progress', on: false });
      },
      redisPid,
    });
    const latency = await pinned([a.peer, b.peer], () =>
      measureLatency(a.peer, false),
    );
    await closeClients();
    return { saturation, latency };
  } finally {
    await Promise.all([a.peer.stop(), b.peer.stop()]);
  }
}
