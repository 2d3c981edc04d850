import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

const BINARY = process.env.REDIS_SERVER ?? 'redis-server';

/**
 * Fails loudly, with the fix, when there is no redis-server to start. Used
 * by the Redis tests and by the bench's cross-node figures.
 */
export function assertRedisServerInstalled(): void {
  const probe = spawnSync(BINARY, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `A redis-server of our own is started on a free port, and '${BINARY}' could not be run (${probe.error?.message ?? probe.stderr.trim()}). Install it (Debian/Ubuntu: apt-get install redis-server; macOS: brew install redis) or set REDIS_SERVER to its path.`,
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
    assertRedisServerInstalled();
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
      BINARY,
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
