import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  RedisServer,
  freePort,
  waitForPort,
  type ServerKind,
} from './redis-server.js';

const SENTINEL = process.env.REDIS_SENTINEL ?? 'redis-sentinel';
const CLI = process.env.REDIS_CLI ?? 'redis-cli';

/** Fails loudly, with the fix, when `binary` (from `pkg`) cannot be run. */
function assertInstalled(binary: string, pkg: string, env: string): void {
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `The Redis HA tests run '${binary}', which could not be run (${probe.error?.message ?? probe.stderr.trim()}). Install it (Debian/Ubuntu: apt-get install ${pkg}) or set ${env} to its path.`,
    );
  }
}

/** Runs one command on the server at `port`, through a connection of its own. */
export async function command(
  port: number,
  name: string,
  ...args: (string | number)[]
): Promise<unknown> {
  const client = new Redis(port, '127.0.0.1', {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    enableReadyCheck: false,
  });
  try {
    await client.connect();
    return await client.call(name, ...args);
  } finally {
    client.disconnect();
  }
}

/** Waits until `check` resolves true (errors count as false). */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A primary and its replica (asynchronous replication), on free ports:
 * two redis-servers, or two valkey-servers (`kind`).
 */
export class PrimaryReplica {
  private constructor(
    readonly primary: RedisServer,
    readonly replica: RedisServer,
  ) {}

  static async start(
    options: { appendonly?: boolean; dir?: string; kind?: ServerKind } = {},
  ): Promise<PrimaryReplica> {
    const dirs = options.dir
      ? [join(options.dir, 'primary'), join(options.dir, 'replica')]
      : [undefined, undefined];
    for (const dir of dirs) if (dir) mkdirSync(dir, { recursive: true });
    const primary = await RedisServer.start({
      kind: options.kind,
      dir: dirs[0],
      appendonly: options.appendonly,
    });
    const replica = await RedisServer.start({
      kind: options.kind,
      dir: dirs[1],
      appendonly: options.appendonly,
      args: ['--replicaof', '127.0.0.1', String(primary.port)],
    });
    const pair = new PrimaryReplica(primary, replica);
    await pair.inSync();
    return pair;
  }

  /** Waits until the replica has everything the primary wrote. */
  async inSync(timeoutMs = 10_000): Promise<void> {
    const field = (text: string, name: string) =>
      Number(new RegExp(`${name}:(\\d+)`).exec(text)?.[1] ?? -1);
    await eventually(
      async () => {
        const [replica, primary] = (await Promise.all([
          command(this.replica.port, 'INFO', 'replication'),
          command(this.primary.port, 'INFO', 'replication'),
        ])) as [string, string];
        return (
          /master_link_status:up/.test(replica) &&
          field(replica, 'slave_repl_offset') >=
            field(primary, 'master_repl_offset')
        );
      },
      timeoutMs,
      'the replica to catch up with the primary',
    );
  }

  async kill(): Promise<void> {
    await Promise.all([this.primary.kill(), this.replica.kill()]);
  }
}

/**
 * A Redis Sentinel of the test's own, watching `primary` under `name`,
 * quick to act (down after 1 s, quorum 1): one sentinel is enough to fail
 * over in a test, not in production.
 */
export class Sentinel {
  private child: ChildProcess | null = null;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(
    primaryPort: number,
    name: string,
    downAfterMs = 1000,
  ): Promise<Sentinel> {
    assertInstalled(SENTINEL, 'redis-sentinel', 'REDIS_SENTINEL');
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'livebus-sentinel-'));
    writeFileSync(
      join(dir, 'sentinel.conf'),
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} 1`,
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} 5000`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    const sentinel = new Sentinel(port, dir);
    sentinel.child = spawn(SENTINEL, [join(dir, 'sentinel.conf')], {
      stdio: 'ignore',
    });
    await waitForPort(port);
    return sentinel;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  /** The port of the primary it names now. */
  async primaryPort(name: string): Promise<number> {
    const [, port] = (await command(
      this.port,
      'SENTINEL',
      'GET-MASTER-ADDR-BY-NAME',
      name,
    )) as [string, string];
    return Number(port);
  }

  async kill(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A Redis Cluster of three primaries (no replicas), made with `redis-cli --cluster create`. */
export class RedisCluster {
  private constructor(
    readonly nodes: RedisServer[],
    private readonly dirs: string[],
  ) {}

  static async start(): Promise<RedisCluster> {
    assertInstalled(CLI, 'redis-tools', 'REDIS_CLI');
    const dirs = [0, 1, 2].map(() =>
      mkdtempSync(join(tmpdir(), 'livebus-cluster-')),
    );
    const nodes: RedisServer[] = [];
    for (const dir of dirs) {
      nodes.push(
        await RedisServer.start({
          args: [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(dir, 'nodes.conf'),
            '--cluster-node-timeout',
            '2000',
          ],
        }),
      );
    }
    const created = spawnSync(
      CLI,
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (created.status !== 0) {
      throw new Error(
        `redis-cli --cluster create failed: ${created.stderr || created.stdout}`,
      );
    }
    const cluster = new RedisCluster(nodes, dirs);
    await eventually(
      async () => {
        for (const node of nodes) {
          const info = (await command(node.port, 'CLUSTER', 'INFO')) as string;
          if (!info.includes('cluster_state:ok')) return false;
        }
        return true;
      },
      20_000,
      'the cluster to be ok on every node',
    );
    return cluster;
  }

  get addresses(): { host: string; port: number }[] {
    return this.nodes.map((node) => ({ host: '127.0.0.1', port: node.port }));
  }

  async kill(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.kill()));
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }
}
