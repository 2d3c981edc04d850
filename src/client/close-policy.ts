import type { Socket } from 'socket.io-client';
import {
  CLOSE_CODES,
  CLOSE_MESSAGE,
  isCloseCode,
  type CloseNotice,
} from '../protocol/codes.js';

/** What {@link watchCloses} tells the client. */
export interface CloseHooks {
  /** The server said why it ends (or refuses) the connection. */
  notice(notice: CloseNotice): void;
  /** The code says not to come back as is: the client gives up. */
  giveUp(notice: CloseNotice): void;
  /** A reconnection is scheduled. */
  retrying(): void;
}

function isNotice(value: unknown): value is CloseNotice {
  return (
    typeof value === 'object' &&
    value !== null &&
    isCloseCode((value as { code?: unknown }).code) &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

/**
 * Reconnects where the server's close code says so (`CLOSE_CODES[code]
 * .reconnect`), after the delay it gives or `delayMs`, and gives up where
 * it says not to. Socket.IO retries a dropped connection by itself, but not
 * after a server-side disconnect or a refused handshake: those are ours.
 * Returns a function that cancels a scheduled reconnection.
 */
export function watchCloses(
  socket: Socket,
  options: { reconnection: boolean; delayMs: number },
  hooks: CloseHooks,
): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: CloseNotice | null = null;
  const decide = (notice: CloseNotice | null): void => {
    if (notice && !CLOSE_CODES[notice.code].reconnect) {
      hooks.giveUp(notice);
      return;
    }
    if (!options.reconnection) return;
    hooks.retrying();
    clearTimeout(timer);
    timer = setTimeout(
      () => socket.connect(),
      notice?.retryAfterMs ?? options.delayMs,
    );
  };
  socket.on(CLOSE_MESSAGE, (notice: unknown) => {
    if (!isNotice(notice)) return;
    last = notice;
    hooks.notice(notice);
  });
  socket.on('disconnect', (reason) => {
    const notice = last;
    last = null;
    // Any other reason: Socket.IO reconnects by itself.
    if (reason === 'io server disconnect') decide(notice);
  });
  socket.on('connect_error', (error: Error & { data?: unknown }) => {
    // Still active: a transport failure that Socket.IO retries itself.
    if (socket.active || !isNotice(error.data)) return;
    hooks.notice(error.data);
    decide(error.data);
  });
  return () => clearTimeout(timer);
}
