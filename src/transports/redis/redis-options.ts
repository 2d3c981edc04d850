import { assertPositive } from '../../core/assert-option.js';
import type { TransportState } from '../event-transport.js';

/** Where a Redis server (a sentinel, a cluster node) listens. */
export interface RedisAddress {
  host: string;
  port: number;
}

/**
 * Options of the Redis transport: `transport: { type: 'redis', url }` for
 * one server (or a primary behind a fixed address), `sentinels` and `name`
 * for a primary with replicas behind Redis Sentinel, `cluster` for a Redis
 * Cluster.
 */
export interface RedisTransportOptions {
  type: 'redis';
  /**
   * Where Redis is, e.g. `redis://user:password@127.0.0.1:6379/0`. With
   * `sentinels` or `cluster`, optional: it then gives only the credentials
   * (and, with Sentinel, the database) of the data nodes.
   */
  url?: string;
  /**
   * Redis Sentinel: the sentinels to ask where the primary `name` is. The
   * transport follows a failover by itself (a new epoch: see the README).
   */
  sentinels?: RedisAddress[];
  /** The primary's name in Sentinel (`sentinel monitor <name> ...`); required with `sentinels`. */
  name?: string;
  /** Username for the sentinels themselves, when their ACL requires one. */
  sentinelUsername?: string;
  /** Password for the sentinels themselves, when they require one. */
  sentinelPassword?: string;
  /**
   * Redis Cluster: a few of its nodes to start from (the rest is
   * discovered). Every key of the bus lives in one slot (`keyPrefix` holds a
   * hash tag), so one shard carries the whole stream: see the README.
   */
  cluster?: RedisAddress[];
  /**
   * Prefix of the keys the bus uses. In a cluster it must hold a hash tag
   * (`{...}`), so that every key is in one slot.
   * @default 'livebus:' ('{livebus}:' with `cluster`)
   */
  keyPrefix?: string;
  /** How long start-up waits for Redis before failing, in ms. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * How long a publish waits for Redis to answer before it rejects with
   * `TransportUnavailableError` (`maybePublished: true`), in ms: a
   * half-open connection (a dead peer, a dropped route) would otherwise
   * hold every publish for the kernel's TCP timeout (many minutes). A
   * connection silent for three times as long is dropped and made again.
   * @default 5000
   */
  commandTimeoutMs?: number;
  /**
   * The stream is trimmed to about this many entries: a node can replay
   * about `streamMaxLen ÷ publish rate` seconds. @default the bus's `historyMaxEvents` (10000)
   */
  streamMaxLen?: number;
  /**
   * The stream is also trimmed to about this age, in ms, by the stream's own
   * clock (the time in its newest entry's id, never a node's clock).
   * @default the bus's `historyMaxAgeMs` (300000)
   */
  streamMaxAgeMs?: number;
  /** Told when the transport becomes degraded or recovers. */
  onStateChange?: (state: TransportState, reason?: string) => void;
}

/** The Redis transport's own defaults (the stream's bounds follow the bus's history). */
export const REDIS_DEFAULTS = {
  keyPrefix: 'livebus:',
  clusterKeyPrefix: '{livebus}:',
  connectTimeoutMs: 5000,
  commandTimeoutMs: 5000,
} as const;

/** Which Redis deployment the options name. */
export type RedisTopology = 'server' | 'sentinel' | 'cluster';

/**
 * Throws a TypeError naming the field (`transport.url`, ...) unless
 * `options` are Redis transport options; never prints the URL or a
 * password.
 */
export function checkRedisOptions(options: RedisTransportOptions): void {
  const topology = redisTopology(options);
  if (
    options.url !== undefined &&
    (typeof options.url !== 'string' || options.url.length === 0)
  ) {
    throw new TypeError(
      "transport.url must be a Redis URL such as 'redis://127.0.0.1:6379'",
    );
  }
  if (
    options.keyPrefix !== undefined &&
    typeof options.keyPrefix !== 'string'
  ) {
    throw new TypeError(
      `transport.keyPrefix must be a string, got ${typeof options.keyPrefix}`,
    );
  }
  if (topology === 'sentinel') {
    checkAddresses('transport.sentinels', options.sentinels);
    if (typeof options.name !== 'string' || options.name.length === 0) {
      throw new TypeError(
        "transport.name must be the primary's name in Sentinel (sentinel monitor <name> ...), with transport.sentinels",
      );
    }
    for (const field of ['sentinelUsername', 'sentinelPassword'] as const) {
      if (options[field] !== undefined && typeof options[field] !== 'string') {
        throw new TypeError(`transport.${field} must be a string`);
      }
    }
  }
  if (topology === 'cluster') {
    checkAddresses('transport.cluster', options.cluster);
    if (
      options.keyPrefix !== undefined &&
      !/\{[^{}]+\}/.test(options.keyPrefix)
    ) {
      throw new TypeError(
        "transport.keyPrefix must hold a hash tag in a cluster, such as '{livebus}:', so that every key of the bus is in one slot",
      );
    }
  }
  assertPositive('transport.connectTimeoutMs', options.connectTimeoutMs);
  assertPositive('transport.commandTimeoutMs', options.commandTimeoutMs);
  assertPositive('transport.streamMaxLen', options.streamMaxLen);
  assertPositive('transport.streamMaxAgeMs', options.streamMaxAgeMs);
  if (
    options.onStateChange !== undefined &&
    typeof options.onStateChange !== 'function'
  ) {
    throw new TypeError('transport.onStateChange must be a function');
  }
}

/** Which deployment `options` name (throws if they name none, or two). */
export function redisTopology(options: RedisTransportOptions): RedisTopology {
  const sentinel = options.sentinels !== undefined;
  const cluster = options.cluster !== undefined;
  if (sentinel && cluster) {
    throw new TypeError(
      'transport.sentinels and transport.cluster exclude each other: give one',
    );
  }
  if (sentinel) return 'sentinel';
  if (cluster) return 'cluster';
  if (typeof options.url !== 'string' || options.url.length === 0) {
    throw new TypeError(
      "transport.url must be a Redis URL such as 'redis://127.0.0.1:6379' (or give transport.sentinels and transport.name, or transport.cluster)",
    );
  }
  return 'server';
}

function checkAddresses(field: string, addresses: unknown): void {
  if (!Array.isArray(addresses) || addresses.length === 0) {
    throw new TypeError(`${field} must be a non-empty array of { host, port }`);
  }
  addresses.forEach((address: Partial<RedisAddress> | null, i) => {
    const valid =
      typeof address?.host === 'string' &&
      address.host.length > 0 &&
      Number.isInteger(address.port) &&
      (address.port as number) > 0 &&
      (address.port as number) < 65536;
    if (!valid) {
      throw new TypeError(
        `${field}[${i}] must be { host, port } with a host name and a port from 1 to 65535`,
      );
    }
  });
}

/** The key prefix the options give, or the default for their topology. */
export function keyPrefixOf(options: RedisTransportOptions): string {
  return (
    options.keyPrefix ??
    (redisTopology(options) === 'cluster'
      ? REDIS_DEFAULTS.clusterKeyPrefix
      : REDIS_DEFAULTS.keyPrefix)
  );
}

/** The keys the bus uses under one prefix. */
export interface RedisKeys {
  /** The current numbering (a random id). */
  readonly epoch: string;
  /** The Redis run (INFO run_id) the epoch was made in, where INFO is allowed. */
  readonly runId: string;
  /** The last seq given. */
  readonly seq: string;
  /** The stream of events. */
  readonly stream: string;
  /** Hash: type -> `<seq> <json>` of its latest event. */
  readonly latest: string;
  /** Sorted set: type by the seq of its latest event (to prune the hash, least recently updated first). */
  readonly latestOrder: string;
  /** The latest hash's bytes, as the snapshot counts them (to prune it by `snapshotMaxBytes`). */
  readonly latestBytes: string;
  /** Hash: idempotency id -> `<seq> <epoch>` of its receipt. */
  readonly ids: string;
  /** Sorted set: idempotency id by when it was stored (Redis's clock, in ms). */
  readonly idOrder: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    epoch: `${prefix}epoch`,
    runId: `${prefix}runid`,
    seq: `${prefix}seq`,
    stream: `${prefix}stream`,
    latest: `${prefix}latest`,
    latestOrder: `${prefix}latest-order`,
    latestBytes: `${prefix}latest-bytes`,
    ids: `${prefix}ids`,
    idOrder: `${prefix}ids-order`,
  };
}

/** Where the options point, for a message: the URL with its credentials hidden, or the addresses. */
export function describeTarget(options: RedisTransportOptions): string {
  const list = (addresses: RedisAddress[] = []) =>
    addresses
      .slice(0, 3)
      .map(({ host, port }) => `${host}:${port}`)
      .join(', ');
  switch (redisTopology(options)) {
    case 'sentinel':
      return `primary '${String(options.name).slice(0, 40)}' of the sentinels ${list(options.sentinels)}`;
    case 'cluster':
      return `the cluster at ${list(options.cluster)}`;
    case 'server':
      return redact(options.url as string);
  }
}

/** The URL with its credentials hidden, for a message. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
