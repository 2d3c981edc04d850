/**
 * Scenario 4 (worker): a worker thread publishing through MonitorService as
 * fast as the worker helper's backpressure lets it, to one client.
 */
import type { Throughput } from '../measure.js';
import { measureThroughput } from '../measurements.js';
import { clients, closeClients, startServer } from '../processes.js';
import { S } from '../settings.js';

export async function workerRound(): Promise<Throughput> {
  const { peer, port } = await startServer(
    {
      kind: 'ours',
      worker: { bytes: S.eventBytes },
    },
    'ours server (worker)',
  );
  const [client] = clients;
  try {
    await client.call({ cmd: 'connect', port, count: 1 });
    const result = await measureThroughput({
      server: peer,
      start: () => peer.call({ cmd: 'worker' }),
      stop: () => peer.call({ cmd: 'stop' }),
      peers: [client],
      clientCount: 1,
    });
    await closeClients([client]);
    return result;
  } finally {
    await peer.stop();
  }
}
