import type {
  PublishedEvent,
  ResolvedIngestOptions,
  ResolvedPublishPolicy,
} from '../../bus/access-options.js';
import { limitsMessages } from './limits.messages.js';
import {
  PublishPolicy,
  type PolicyRefusal,
  type PublishPolicyStats,
} from './publish-policy.js';
import { BucketTable, TokenBucket } from './token-bucket.js';

/** Why an ingest request is refused: the HTTP status, its body, and `Retry-After`. */
export interface IngestRefusal {
  readonly status: 400 | 403 | 429;
  readonly body: {
    readonly statusCode: number;
    readonly error: string;
    readonly message: string;
    readonly code: string;
    readonly field?: string;
    readonly retryAfterMs?: number;
  };
  readonly retryAfterMs?: number;
}

/** What the ingest limits refused, and the policy's counts. */
export interface IngestLimitsStats extends PublishPolicyStats {
  /** Requests refused `429` (requests or events per second). */
  readonly rateLimited: number;
  /** Principals the rate tables track now (bounded by `limits.maxTrackedKeys`). */
  readonly trackedPrincipals: number;
}

// One bucket for callers the principal function does not name.
const ANONYMOUS = '\0anonymous';

/**
 * The ingest endpoint's limits: requests and events per second per
 * principal (token buckets holding 2 s worth; a request may overdraw the
 * event bucket, and the next waits until it is paid), then its
 * {@link PublishPolicy}. A refused request publishes nothing.
 */
export class IngestLimits {
  readonly policy: PublishPolicy;
  private readonly requests: BucketTable | null;
  private readonly events: BucketTable | null;
  private rateLimited = 0;

  constructor(
    private readonly options: ResolvedIngestOptions,
    maxTrackedKeys: number,
    now: () => number = Date.now,
  ) {
    this.policy = new PublishPolicy(options);
    const table = (rate: number): BucketTable | null =>
      Number.isFinite(rate)
        ? new BucketTable(rate, 2 * rate, maxTrackedKeys, now)
        : null;
    this.requests = table(options.requestsPerSecond);
    this.events = table(options.eventsPerSecond);
  }

  stats(): IngestLimitsStats {
    return {
      ...this.policy.stats(),
      rateLimited: this.rateLimited,
      trackedPrincipals: Math.max(
        this.requests?.size ?? 0,
        this.events?.size ?? 0,
      ),
    };
  }

  /** Checks one request of `principal` with its parsed `body`: `null` to go on. */
  check(principal: string | null, body: unknown): IngestRefusal | null {
    const key = principal ?? ANONYMOUS;
    const { requestsPerSecond, eventsPerSecond } = this.options;
    let wait = this.requests?.take(key) ?? 0;
    if (wait > 0) {
      return this.limited(
        limitsMessages.ingestRequests(requestsPerSecond, wait),
        wait,
      );
    }
    const list = Array.isArray(body) ? body : [body];
    wait = this.events?.overdraw(key, 0) ?? 0;
    if (wait > 0) {
      return this.limited(
        limitsMessages.ingestEvents(eventsPerSecond, wait),
        wait,
      );
    }
    const refused = this.policy.admitAll(list);
    if (refused) {
      const { index, refusal } = refused;
      const at = Array.isArray(body) ? `events[${index}]` : 'event';
      const field = refusal.code === 'invalid_event' ? at : `${at}.type`;
      const status = refusal.code === 'invalid_event' ? 400 : 403;
      return {
        status,
        body: {
          statusCode: status,
          error: status === 400 ? 'Bad Request' : 'Forbidden',
          message: `${field}: ${refusal.message}`,
          code: refusal.code,
          field,
        },
      };
    }
    this.events?.overdraw(key, list.length);
    return null;
  }

  private limited(message: string, retryAfterMs: number): IngestRefusal {
    this.rateLimited++;
    return {
      status: 429,
      retryAfterMs,
      body: {
        statusCode: 429,
        error: 'Too Many Requests',
        message,
        code: 'rate_limited',
        retryAfterMs,
      },
    };
  }
}

/** What the worker's limits refused or held back. */
export interface WorkerLimitsStats extends PublishPolicyStats {
  /** Plain `postMessage` events dropped over `worker.eventsPerSecond`. */
  readonly rateDropped: number;
  /** How long batch acks were held back for `worker.eventsPerSecond`, in ms in all. */
  readonly throttledMs: number;
}

/**
 * The worker's limits: its {@link PublishPolicy}, and its events per
 * second. A helper batch is published and its ack held back until the
 * bucket is out of debt (the helper sends the next batch only then, so a
 * fast worker waits and, past `maxPendingEvents`, drops its own oldest);
 * a plain `postMessage` event over the rate is dropped and counted.
 */
export class WorkerLimits {
  readonly policy: PublishPolicy;
  private readonly bucket: TokenBucket | null;
  private rateDropped = 0;
  private throttledMs = 0;

  constructor(
    options: ResolvedPublishPolicy,
    private readonly now: () => number = Date.now,
  ) {
    this.policy = new PublishPolicy(options);
    const rate = options.eventsPerSecond;
    this.bucket = Number.isFinite(rate)
      ? new TokenBucket(rate, 2 * rate, now())
      : null;
  }

  stats(): WorkerLimitsStats {
    return {
      ...this.policy.stats(),
      rateDropped: this.rateDropped,
      throttledMs: this.throttledMs,
    };
  }

  /** The events the policy lets through, and why the others were refused. */
  admit(
    events: readonly unknown[],
    preEncoded: boolean,
  ): { kept: unknown[]; refused: PolicyRefusal[] } {
    const kept: unknown[] = [];
    const refused: PolicyRefusal[] = [];
    const parse = preEncoded ? parseEncoded : undefined;
    for (const event of events) {
      const refusal = this.policy.admitOne(event, parse);
      if (refusal) refused.push(refusal);
      else kept.push(event);
    }
    return { kept, refused };
  }

  /** Charges a published batch of `count`: how long to hold its ack, in ms. */
  charge(count: number): number {
    const wait = this.bucket?.spend(count, this.now()) ?? 0;
    this.throttledMs += wait;
    return wait;
  }

  /** Whether a plain event is within the rate (else it is dropped, counted). */
  takePlain(): boolean {
    if (!this.bucket || this.bucket.overdraw(1, this.now()) === 0) return true;
    this.rateDropped++;
    return false;
  }
}

/** A helper-encoded event (`{ type, json }`) as the validate hook sees it. */
function parseEncoded(event: unknown): PublishedEvent | null {
  const json = (event as { json?: unknown }).json;
  if (typeof json !== 'string') return null;
  try {
    const value: unknown = JSON.parse(json);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as PublishedEvent)
      : null;
  } catch {
    return null;
  }
}
