import type { ResolvedOriginsOptions } from '../../bus/access-options.js';
import { quotePrefix } from '../../protocol/event-types.js';

/** How a request's origin was judged. */
export type OriginVerdict =
  /** No `Origin` header: not a browser page (or a same-origin GET). */
  | 'no-origin'
  /** A page of this same host. */
  | 'same-origin'
  /** Another origin, allowed: it gets CORS headers. */
  | 'cross-origin'
  | 'refused';

/** Request headers the policy reads. */
export type HeaderBag = Record<string, string | string[] | undefined>;

/** Response headers CORS adds for an allowed cross-origin request. */
const EXPOSED = 'Retry-After, X-Livebus-Seq, X-Livebus-Epoch';

/**
 * The origins policy: which browser pages may use the module's sockets and
 * HTTP routes, and the CORS headers an allowed other origin gets. The
 * decision is the server's, per request: a page whose origin is refused
 * never gets a socket or a response (`origin_not_allowed`), whatever its
 * browser would have done with CORS.
 */
export class OriginPolicy {
  constructor(readonly options: ResolvedOriginsOptions) {}

  judge(headers: HeaderBag): OriginVerdict {
    const origin = single(headers.origin);
    if (origin === undefined || origin === '') {
      return this.options.allowMissing ? 'no-origin' : 'refused';
    }
    if (this.options.sameOrigin && isSameOrigin(origin, single(headers.host))) {
      return 'same-origin';
    }
    return this.allows(origin) ? 'cross-origin' : 'refused';
  }

  /** Why `headers`' origin is refused, for the refusal's message. */
  refusalMessage(headers: HeaderBag): string {
    const origin = single(headers.origin);
    return origin
      ? `origin ${quotePrefix(origin, 60)} is not allowed (option origins)`
      : 'a request without an Origin header is not allowed (option origins.allowMissing)';
  }

  /** The CORS headers of an allowed cross-origin request (a preflight when `preflight`). */
  corsHeaders(headers: HeaderBag, preflight: boolean): Record<string, string> {
    const cors: Record<string, string> = {
      'Access-Control-Allow-Origin': single(headers.origin) ?? '',
      Vary: 'Origin',
    };
    if (this.options.credentials) {
      cors['Access-Control-Allow-Credentials'] = 'true';
    }
    if (!preflight) {
      cors['Access-Control-Expose-Headers'] = EXPOSED;
      return cors;
    }
    cors['Access-Control-Allow-Methods'] = 'GET, POST, OPTIONS';
    const requested = single(headers['access-control-request-headers']);
    if (requested && /^[\w\-, ]{1,500}$/.test(requested)) {
      cors['Access-Control-Allow-Headers'] = requested;
    }
    cors['Access-Control-Max-Age'] = String(this.options.maxAgeSeconds);
    return cors;
  }

  private allows(origin: string): boolean {
    const { allow } = this.options;
    if (allow === '*') return true;
    if (typeof allow === 'function') {
      try {
        return allow(origin) === true;
      } catch {
        return false;
      }
    }
    return allow.some((rule) =>
      typeof rule === 'string' ? rule === origin : rule.test(origin),
    );
  }
}

/** Whether `origin` names the host the request was sent to (`Host`). */
export function isSameOrigin(
  origin: string,
  host: string | undefined,
): boolean {
  if (!host || origin === 'null') return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
