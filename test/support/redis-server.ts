import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

/**
 * The servers the Redis transport is tested on: Redis, and Valkey (its
 * fork, same protocol and scripting). `npm test`'s set-up installs both.
 */
export const SERVERS = {
  redis: {
    binary: process.env.REDIS_SERVER ?? 'redis-server',
    install:
      'Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis',
    env: 'REDIS_SERVER',
  },
  valkey: {
    binary: process.env.VALKEY_SERVER ?? 'valkey-server',
    install:
      'Debian 12: apt-get install -t bookworm-backports valkey-server; macOS: brew install valkey',
    env: 'VALKEY_SERVER',
  },
} as const;

/** Which server a test starts: `redis-server` or `valkey-server`. */
export type ServerKind = keyof typeof SERVERS;

/**
 * Fails loudly, with the fix, when there is no server of `kind` to start.
 * Used by the Redis tests and by the bench's cross-node figures.
 */
export function assertRedisServerInstalled(kind: ServerKind = 'redis'): void {
  const { binary, install, env } = SERVERS[kind];
  const probe = spawnSync(binary, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `A ${kind}-server of our own is started on a free port, and '${binary}' could not be run (${probe.error?.message ?? probe.stderr.trim()}). Install it (${install}) or set ${env} to its path.`,
    );
  }
}

/** A free TCP port on 127.0.0.1 (for a server of the test's own). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something listens on `port` of 127.0.0.1. */
export async function waitForPort(
  port: number,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new Error(`redis-server did not listen on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** How to run a {@link RedisServer}. */
export interface RedisServerOptions {
  /** Which server: `redis-server` (the default) or `valkey-server`. */
  kind?: ServerKind;
  /** Where its files go: an RDB written only on `SAVE`, or the AOF. */
  dir?: string;
  /** Append-only file in `dir`, fsynced at every write: a SIGKILL loses nothing. */
  appendonly?: boolean;
  /** More `redis-server` arguments (`--replicaof`, `--cluster-enabled`...). */
  args?: string[];
}

/**
 * A real redis-server of the test's own, on a free port, with nothing on
 * disk, or, given `dir`, with its RDB file there: written only on `SAVE`
 * and read back by every (re)start, as after a restore from a backup (or,
 * with `appendonly`, its AOF, fsynced at every write).
 */
export class RedisServer {
  private child: ChildProcess | null = null;
  private readonly dir?: string;

  private constructor(
    readonly port: number,
    private readonly options: RedisServerOptions,
  ) {
    this.dir = options.dir;
  }

  static async start(options: RedisServerOptions = {}): Promise<RedisServer> {
    assertRedisServerInstalled(options.kind);
    const server = new RedisServer(await freePort(), options);
    await server.restart();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The running server's process, or `null` while it is killed. */
  get process(): ChildProcess | null {
    return this.child;
  }

  /**
   * Starts it (again) on the same port; its data is gone, as after a crash,
   * or, with a `dir`, back to what the last `SAVE` wrote.
   */
  async restart(): Promise<void> {
    this.child = spawn(
      SERVERS[this.options.kind ?? 'redis'].binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        ...(this.options.appendonly
          ? ['--appendonly', 'yes', '--appendfsync', 'always']
          : ['--appendonly', 'no']),
        ...(this.dir ? ['--dir', this.dir, '--dbfilename', 'dump.rdb'] : []),
        ...(this.options.args ?? []),
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(this.port);
  }

  /** Kills it with SIGKILL, like a crash, and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.child = null;
  }

  /**
   * Stops it with SIGSTOP: its connections stay open and nothing answers,
   * like a half-open connection or a hung server. `unpause` lets it go on.
   */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  unpause(): void {
    this.child?.kill('SIGCONT');
  }
}
