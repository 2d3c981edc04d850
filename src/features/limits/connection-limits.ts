import type {
  LimitContext,
  ResolvedLimitsOptions,
} from '../../bus/access-options.js';
import { closeNotice } from '../../delivery/close-notice.js';
import type { CloseNotice } from '../../protocol/codes.js';
import { capRetryAfterMs, limitsMessages } from './limits.messages.js';
import { BucketTable, TokenBucket } from './token-bucket.js';

/** An admitted connection's slot: `release()` once it ends (idempotent). */
export interface ConnectionLease {
  release(): void;
}

/** What the connection limits refused since start, by limit. */
export interface ConnectionLimitsStats {
  /** Connections (Socket.IO and SSE) holding a slot now. */
  readonly open: number;
  /** Principals with at least one connection now. */
  readonly principals: number;
  /** Addresses the new-connection rate table tracks now (bounded by `maxTrackedKeys`). */
  readonly trackedAddresses: number;
  readonly refused: {
    readonly connectionRate: number;
    readonly maxConnections: number;
    readonly maxConnectionsPerPrincipal: number;
    readonly subscribe: number;
  };
}

/**
 * The connection limits of one node: new connections per second per
 * address, connections in total and per principal (Socket.IO sockets and
 * SSE streams alike), `subscribe` messages per socket. Each check answers
 * `null` (go on) or the `rate_limited` notice to refuse with; memory is
 * bounded by the open connections and `maxTrackedKeys`.
 */
export class ConnectionLimits {
  private readonly rates: BucketTable | null;
  private readonly subscribes = new WeakMap<object, TokenBucket>();
  private readonly perPrincipal = new Map<string, number>();
  private open = 0;
  private readonly refused = {
    connectionRate: 0,
    maxConnections: 0,
    maxConnectionsPerPrincipal: 0,
    subscribe: 0,
  };

  constructor(
    readonly options: ResolvedLimitsOptions,
    private readonly now: () => number = Date.now,
  ) {
    const { connectionsPerSecond: rate, maxTrackedKeys } = options;
    this.rates = Number.isFinite(rate)
      ? new BucketTable(rate, 2 * rate, maxTrackedKeys, now)
      : null;
  }

  stats(): ConnectionLimitsStats {
    return {
      open: this.open,
      principals: this.perPrincipal.size,
      trackedAddresses: this.rates?.size ?? 0,
      refused: { ...this.refused },
    };
  }

  /** New connections per second from `context.address`: first, before any work. */
  checkRate(context: LimitContext): CloseNotice | null {
    const wait = this.rates?.take(context.address) ?? 0;
    if (wait === 0) return null;
    this.refused.connectionRate++;
    return closeNotice(
      'rate_limited',
      limitsMessages.connectionRate(this.options.connectionsPerSecond, wait),
      wait,
    );
  }

  /** A slot in the totals, or the notice to refuse with: last, once the principal is known. */
  admit(context: LimitContext): ConnectionLease | CloseNotice {
    const principal = this.hold(context);
    if (isNotice(principal)) return principal;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.give(principal);
      },
    };
  }

  /**
   * {@link admit} without a lease object: the principal now holding a slot
   * (`null`: none), to hand to {@link give} exactly once; or the notice.
   */
  hold(context: LimitContext): string | null | CloseNotice {
    const { maxConnections, maxConnectionsPerPrincipal } = this.options;
    if (this.open >= maxConnections) {
      this.refused.maxConnections++;
      return closeNotice(
        'rate_limited',
        limitsMessages.maxConnections(maxConnections),
        capRetryAfterMs(),
      );
    }
    const principal = this.options.principal(context);
    const held =
      principal === null ? 0 : (this.perPrincipal.get(principal) ?? 0);
    if (principal !== null && held >= maxConnectionsPerPrincipal) {
      this.refused.maxConnectionsPerPrincipal++;
      return closeNotice(
        'rate_limited',
        limitsMessages.maxPerPrincipal(maxConnectionsPerPrincipal),
        capRetryAfterMs(),
      );
    }
    this.open++;
    if (principal !== null) this.perPrincipal.set(principal, held + 1);
    return principal;
  }

  /** Gives back a slot {@link hold} took. */
  give(principal: string | null): void {
    this.open--;
    if (principal === null) return;
    const left = (this.perPrincipal.get(principal) ?? 1) - 1;
    if (left > 0) this.perPrincipal.set(principal, left);
    else this.perPrincipal.delete(principal);
  }

  /** A `subscribe` message of the client `key`: `null`, or the notice to answer with. */
  checkSubscribe(key: object): CloseNotice | null {
    const rate = this.options.subscribesPerSecond;
    if (!Number.isFinite(rate)) return null;
    let bucket = this.subscribes.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate, 2 * rate, this.now());
      this.subscribes.set(key, bucket);
    }
    const wait = bucket.take(1, this.now());
    if (wait === 0) return null;
    this.refused.subscribe++;
    return closeNotice(
      'rate_limited',
      limitsMessages.subscribeRate(rate, wait),
      wait,
    );
  }
}

/** Whether {@link ConnectionLimits.hold} refused. */
export function isNotice(
  value: string | null | CloseNotice,
): value is CloseNotice {
  return typeof value === 'object' && value !== null;
}

/** Whether `value` is a lease (else the refusal notice). */
export function isLease(
  value: ConnectionLease | CloseNotice,
): value is ConnectionLease {
  return 'release' in value;
}
