import { checkFailover, nodes } from './failover.js';
import { PrimaryReplica, command } from './support/redis-ha.js';
import type { ServerKind } from './support/redis-server.js';
import { TcpProxy } from './support/tcp-proxy.js';

// A failover without Sentinel, on Redis and on Valkey: the primary dies,
// its replica is promoted by hand (REPLICAOF NO ONE, as an operator or an
// orchestrator would) and the fixed address the nodes use (a TCP proxy the
// test controls, standing for a DNS name or a load balancer) now leads to it.
describe.each<[ServerKind]>([['redis'], ['valkey']])(
  'a replica promoted by REPLICAOF NO ONE (%s-server)',
  (kind) => {
    let pair: PrimaryReplica;
    let proxy: TcpProxy;
    const apps = nodes();

    beforeAll(async () => {
      pair = await PrimaryReplica.start({ kind });
      proxy = await TcpProxy.start(pair.primary.port);
    });
    afterAll(async () => {
      await apps.closeAll();
      await proxy.close();
      await pair.kill();
    });

    it('is followed: a new epoch, every client reset to what the replica holds, publishing and reading go on', async () => {
      const info = (await command(
        pair.primary.port,
        'INFO',
        'server',
      )) as string;
      // The server under test is the one asked for.
      expect(info).toContain(
        kind === 'valkey' ? 'valkey_version:' : 'redis_version:',
      );
      const transport = { url: proxy.url, commandTimeoutMs: 1000 };
      const a = await apps.start(transport);
      const b = await apps.start(transport);
      const publishedAfterMs = await checkFailover(a, b, pair, async () => {
        await pair.primary.kill();
        await command(pair.replica.port, 'REPLICAOF', 'NO', 'ONE');
        proxy.retarget(pair.replica.port);
      });
      process.stdout.write(
        `${kind}-server promotion: first publish stored ${publishedAfterMs} ms after the primary was killed\n`,
      );
    }, 60_000);
  },
);
