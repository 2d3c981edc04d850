import type { PublishReceipt } from '../src/index.js';
import { describeTransportConformance } from '../src/testing/index.js';
import { RedisTransport } from '../src/transports/redis/redis.transport.js';
import { checkFailover, client, nodes } from './failover.js';
import {
  PrimaryReplica,
  RedisCluster,
  Sentinel,
  command,
} from './support/redis-ha.js';
import { receive } from './utils.js';

describe('Redis Sentinel: a primary, its replica, a sentinel', () => {
  const NAME = 'livebus-test';
  let pair: PrimaryReplica;
  let sentinel: Sentinel;
  const apps = nodes();

  beforeAll(async () => {
    pair = await PrimaryReplica.start();
    sentinel = await Sentinel.start(pair.primary.port, NAME);
  });
  afterAll(async () => {
    await apps.closeAll();
    await sentinel.kill();
    await pair.kill();
  });

  it('follows a failover: a new epoch, every client reset to what the replica holds, publishing and reading go on', async () => {
    const transport = {
      sentinels: [sentinel.address],
      name: NAME,
      commandTimeoutMs: 1000,
    };
    const a = await apps.start(transport);
    const b = await apps.start(transport);
    // The sentinel notices the primary is gone, and promotes the replica.
    const publishedAfterMs = await checkFailover(a, b, pair, () =>
      pair.primary.kill(),
    );
    expect(await sentinel.primaryPort(NAME)).toBe(pair.replica.port);
    process.stdout.write(
      `Sentinel failover: first publish stored ${publishedAfterMs} ms after the primary was killed\n`,
    );
  }, 60_000);
});

describe('Redis Cluster: three primaries', () => {
  let cluster: RedisCluster;
  const apps = nodes();

  beforeAll(async () => {
    cluster = await RedisCluster.start();
  });
  afterAll(async () => {
    await apps.closeAll();
    await cluster.kill();
  });

  it('carries events between nodes with every key of the bus in one slot; a node started later loads them', async () => {
    const transport = { cluster: cluster.addresses };
    const a = await apps.start(transport);
    const b = await apps.start(transport);
    const [, onB] = await client(b);
    const sends: Promise<PublishReceipt>[] = [];
    for (let n = 1; n <= 100; n++) {
      const node = n % 2 === 0 ? a : b;
      sends.push(node.bus.publish({ type: `t${n % 3}`, n }, { id: `n-${n}` }));
    }
    await Promise.all(sends);
    const got = await receive(onB, 100, (m) => m.name.startsWith('t'));
    expect(got.map((m) => m.meta.seq)).toEqual(
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    // An id stored through one node is a duplicate through the other.
    expect(
      await b.bus.publish({ type: 't0', n: 2 }, { id: 'n-2' }),
    ).toMatchObject({ duplicate: true });
    // One slot: the keys are all on one node, and each hashes alike.
    const slots = new Set<number>();
    for (const key of [
      'epoch',
      'seq',
      'stream',
      'latest',
      'latest-order',
      'latest-bytes',
      'ids',
      'ids-order',
    ]) {
      slots.add(
        Number(
          await command(
            cluster.nodes[0].port,
            'CLUSTER',
            'KEYSLOT',
            `{livebus}:${key}`,
          ),
        ),
      );
    }
    expect(slots.size).toBe(1);
    const c = await apps.start(transport);
    expect([c.bus.epoch, c.bus.lastSeq]).toEqual([a.bus.epoch, 100]);
    expect(c.bus.snapshot()).toEqual(a.bus.snapshot());
    const plan = c.bus.resume(a.bus.epoch, 90);
    if (plan.kind !== 'replay') throw new Error(`a ${plan.kind}, not a replay`);
    expect(plan.messages.map((m) => m.seq)).toEqual([
      91, 92, 93, 94, 95, 96, 97, 98, 99, 100,
    ]);
  }, 30_000);

  // The whole contract, through the cluster.
  const flushAll = async () => {
    for (const node of cluster.nodes) await command(node.port, 'FLUSHALL');
  };
  describeTransportConformance('Redis Cluster', {
    shared: true,
    create: () =>
      new RedisTransport({
        type: 'redis',
        cluster: cluster.addresses,
        connectTimeoutMs: 2000,
        commandTimeoutMs: 2000,
      }),
    reset: flushAll,
    wipe: flushAll,
  });

  it('refuses a key prefix without a hash tag, naming the option', () => {
    expect(
      () =>
        new RedisTransport({
          type: 'redis',
          cluster: cluster.addresses,
          keyPrefix: 'livebus:',
        }),
    ).toThrow(/^transport\.keyPrefix must hold a hash tag in a cluster/);
  });
});
