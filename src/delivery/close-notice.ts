import type { CloseCode, CloseNotice } from '../protocol/codes.js';
import type { ClientKind } from './delivery-observer.js';

/** A close notice with `code`, and a short message for people. */
export function closeNotice(
  code: CloseCode,
  message: string,
  retryAfterMs?: number,
): CloseNotice {
  return retryAfterMs === undefined
    ? { code, message }
    : { code, message, retryAfterMs };
}

/**
 * The error a Socket.IO middleware passes to `next()` to refuse a
 * connection: the client's `connect_error` gets its message, and the
 * notice as `error.data`.
 */
export function refusalError(
  notice: CloseNotice,
): Error & { data: CloseNotice } {
  return Object.assign(new Error(notice.message), { data: notice });
}

/** Where a {@link RefusalLog} writes. */
export interface WarnSink {
  warn(message: string): void;
}

/**
 * One log line per kind of refusal, rate-limited: the first refusal of a
 * (transport, code) is logged at once, the ones after it at most once per
 * `intervalMs`, with how many there were since. A client that retries a
 * bad handshake in a loop costs a line every few seconds, not one each.
 */
export class RefusalLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly sink: WarnSink,
    private readonly intervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  refused(kind: ClientKind | 'http', notice: CloseNotice): void {
    const key = `${kind} ${notice.code}`;
    const entry = this.last.get(key);
    const now = this.now();
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const more = entry?.suppressed
      ? ` (and ${entry.suppressed} more since the last line)`
      : '';
    this.last.set(key, { at: now, suppressed: 0 });
    this.sink.warn(
      `client refused: transport=${kind} code=${notice.code} reason=${JSON.stringify(notice.message.slice(0, 120))}${more}`,
    );
  }
}

/** The notice of a server that is shutting down (or draining). */
export const shutdownNotice = (): CloseNotice =>
  closeNotice(
    'server_shutdown',
    'the server is shutting down: reconnect in a moment',
  );

/** The notice of a client whose queue overflowed (overflow policy `disconnect`). */
export const slowClientNotice = (): CloseNotice =>
  closeNotice(
    'slow_client',
    'your queue overflowed (you read too slowly): reconnect and resume',
  );

/** The notice of a client that sent too many `subscribe` requests without reading their answers. */
export const tooManyResyncsNotice = (): CloseNotice =>
  closeNotice(
    'rate_limited',
    'too many subscribe requests wait for their answer: wait for each ack before sending more',
    1000,
  );
