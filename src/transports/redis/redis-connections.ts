import type { Cluster, Redis, RedisOptions } from 'ioredis';
import {
  REDIS_DEFAULTS,
  redisTopology,
  type RedisTransportOptions,
} from './redis-options.js';

/** A connection of the transport: to one server (direct or through Sentinel) or to a cluster. */
export type RedisClient = Redis | Cluster;

/** Longest a blocking read waits before it returns empty, in ms. */
export const READ_BLOCK_MS = 5000;

/**
 * The transport's two connections: the writer runs the append script, the
 * reader blocks in XREAD (so it needs its own connection) and loads the
 * shared state.
 *
 * The writer fails fast while Redis is down (no offline queue), gives up on
 * a reply that does not come (`commandTimeoutMs`), never re-sends a command
 * whose reply was lost (a duplicate event), and reconnects when it meets a
 * primary turned replica (READONLY: a failover it has not heard of). Both
 * drop a connection that stays silent while a reply is due (a half-open
 * one: a dead peer, a cut route) and make it again; both reconnect for
 * ever, a little slower each time. Neither runs ioredis's ready check,
 * which needs INFO: an ACL may forbid it (a command met while Redis still
 * loads its data fails, and is retried).
 */
export async function createConnections(
  options: RedisTransportOptions,
  running: () => boolean,
): Promise<{ writer: RedisClient; reader: RedisClient }> {
  const ioredis = await import('ioredis').catch(() => {
    throw new Error(
      "The Redis transport needs the 'ioredis' package: npm install ioredis",
    );
  });
  const commandTimeout =
    options.commandTimeoutMs ?? REDIS_DEFAULTS.commandTimeoutMs;
  // Never a reconnection once the transport stopped (a connection being
  // made while it stopped would otherwise try for ever).
  const retry = (times: number) =>
    running() ? Math.min(times * 100, 2000) : null;
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: options.connectTimeoutMs ?? REDIS_DEFAULTS.connectTimeoutMs,
    retryStrategy: retry,
    enableReadyCheck: false,
    autoResendUnfulfilledCommands: false,
  };
  const writer: RedisOptions = {
    ...common,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout,
    socketTimeout: commandTimeout * 3,
    reconnectOnError: (error: Error) => error.message.startsWith('READONLY'),
  };
  const reader: RedisOptions = {
    ...common,
    maxRetriesPerRequest: null,
    socketTimeout: READ_BLOCK_MS + commandTimeout,
  };
  const make = (settings: RedisOptions, resend: boolean): RedisClient => {
    switch (redisTopology(options)) {
      case 'server':
        return new ioredis.Redis(options.url as string, settings);
      case 'sentinel': {
        const sentinel: RedisOptions = {
          ...settings,
          sentinels: options.sentinels,
          name: options.name,
          sentinelUsername: options.sentinelUsername,
          sentinelPassword: options.sentinelPassword,
          // Told of a failover by the sentinels at once, not at the next
          // failed command.
          failoverDetector: true,
          sentinelRetryStrategy: retry,
          sentinelReconnectStrategy: retry,
        };
        return options.url
          ? new ioredis.Redis(options.url, sentinel)
          : new ioredis.Redis(sentinel);
      }
      case 'cluster': {
        const credentials = options.url ? credentialsOf(options.url) : {};
        return new ioredis.Cluster(options.cluster ?? [], {
          lazyConnect: true,
          enableReadyCheck: false,
          enableOfflineQueue: settings.enableOfflineQueue ?? true,
          maxRedirections: 16,
          // The cluster would send a command again when its connection
          // closed before the reply: never an append (a duplicate event).
          retryDelayOnFailover: resend ? 100 : 0,
          clusterRetryStrategy: retry,
          redisOptions: { ...settings, ...credentials, lazyConnect: false },
        });
      }
    }
  };
  return { writer: make(writer, false), reader: make(reader, true) };
}

/** The username and password in a Redis URL, for the nodes of a cluster. */
function credentialsOf(url: string): { username?: string; password?: string } {
  try {
    const parsed = new URL(url);
    return {
      ...(parsed.username
        ? { username: decodeURIComponent(parsed.username) }
        : {}),
      ...(parsed.password
        ? { password: decodeURIComponent(parsed.password) }
        : {}),
    };
  } catch {
    throw new TypeError(
      "transport.url must be a Redis URL such as 'redis://user:password@host:6379'",
    );
  }
}

/**
 * Whether this user may run INFO (asked once: where an ACL forbids it, or
 * the server renamed it away, the scripts do not try, which would log a
 * denial at every append).
 */
export async function infoAllowed(client: RedisClient): Promise<boolean> {
  try {
    await client.call('INFO', 'server');
    return true;
  } catch (error) {
    // Refused by Redis (NOPERM, unknown command): no INFO. Anything else
    // (the connection) fails the start.
    if ((error as Error).name === 'ReplyError') return false;
    throw error;
  }
}

/** The append script (`APPEND_SCRIPT`) as the command ioredis defines for it. */
export type AppendCommand = (
  ...keysAndArgs: (string | number)[]
) => Promise<[number, string, number]>;
