import { assertPositive } from '../../core/assert-option.js';
import type { TransportState } from '../event-transport.js';

/** Options of the Redis transport: `transport: { type: 'redis', url }`. */
export interface RedisTransportOptions {
  type: 'redis';
  /** Where Redis is, e.g. `redis://127.0.0.1:6379/0`. */
  url: string;
  /** Prefix of the keys the bus uses (epoch, seq, stream, latest). @default 'livebus:' */
  keyPrefix?: string;
  /** How long start-up waits for Redis before failing, in ms. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * How long a publish waits for Redis to answer before it rejects with
   * `TransportUnavailableError` (`maybePublished: true`), in ms: a
   * half-open connection (a dead peer, a dropped route) would otherwise
   * hold every publish for the kernel's TCP timeout (many minutes).
   * @default 5000
   */
  commandTimeoutMs?: number;
  /**
   * The stream is trimmed to about this many entries: a node can replay
   * about `streamMaxLen ÷ publish rate` seconds. @default the bus's `historyMaxEvents` (10000)
   */
  streamMaxLen?: number;
  /** Told when the transport becomes degraded or recovers. */
  onStateChange?: (state: TransportState, reason?: string) => void;
}

/** The Redis transport's own defaults (`streamMaxLen` follows the bus's history). */
export const REDIS_DEFAULTS = {
  keyPrefix: 'livebus:',
  connectTimeoutMs: 5000,
  commandTimeoutMs: 5000,
} as const;

/**
 * Throws a TypeError naming the field (`transport.url`, ...) unless
 * `options` are Redis transport options; never prints the URL, which may
 * hold a password.
 */
export function checkRedisOptions(options: RedisTransportOptions): void {
  if (typeof options.url !== 'string' || options.url.length === 0) {
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
  assertPositive('transport.connectTimeoutMs', options.connectTimeoutMs);
  assertPositive('transport.commandTimeoutMs', options.commandTimeoutMs);
  assertPositive('transport.streamMaxLen', options.streamMaxLen);
  if (
    options.onStateChange !== undefined &&
    typeof options.onStateChange !== 'function'
  ) {
    throw new TypeError('transport.onStateChange must be a function');
  }
}

/** The keys the bus uses under one prefix. */
export interface RedisKeys {
  readonly epoch: string;
  readonly runId: string;
  readonly seq: string;
  readonly stream: string;
  readonly latest: string;
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    epoch: `${prefix}epoch`,
    runId: `${prefix}runid`,
    seq: `${prefix}seq`,
    stream: `${prefix}stream`,
    latest: `${prefix}latest`,
  };
}

/** The URL with its credentials hidden, for a message. */
export function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
