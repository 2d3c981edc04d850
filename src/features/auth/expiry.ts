import type { Logger } from '@nestjs/common';
import type { Socket } from 'socket.io';
import { REAUTH_MESSAGE, type ReauthRequest } from '../../protocol/messages.js';
import { accessRefusal } from './access-refused.error.js';
import type { AuthState, LivebusAuth } from './livebus-auth.service.js';

/** The longest delay `setTimeout` keeps (about 24.8 days). */
const MAX_DELAY_MS = 2 ** 31 - 1;

/**
 * Runs `task` at `time` (ms since the epoch), or at once if it has passed;
 * returns a function that cancels it. The timer does not keep the process
 * alive; a time further than `setTimeout` reaches is reached in steps.
 */
export function runAt(time: number, task: () => void): () => void {
  let timer: NodeJS.Timeout;
  const arm = (): void => {
    const delay = time - Date.now();
    if (delay <= 0) {
      timer = setTimeout(task, 0);
    } else {
      timer = setTimeout(
        delay > MAX_DELAY_MS ? arm : task,
        Math.min(delay, MAX_DELAY_MS),
      );
    }
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

/** What {@link watchSocketExpiry} tells the gateway. */
export interface SocketExpiryHooks {
  /** A fresh credential was admitted: the socket's principal is now `state`'s. */
  refreshed(state: AuthState): void;
  /** The credential expired without a fresh one: end the connection (`auth_expired`). */
  expired(): void;
}

/** The shortest wait before asking a client again for a fresh credential, in ms. */
const MIN_ASK_INTERVAL_MS = 1000;

/**
 * Keeps a socket's credential fresh: `refreshBeforeMs` before its
 * principal's `expiresAt`, asks the client (`livebus:reauth`, with an ack)
 * for fresh `auth` fields and checks them as the handshake was checked. A
 * credential that expires later moves the deadline. A refused one, or one
 * that does not expire later (a token cache that still hands out the old
 * one; a JWT `exp` counts whole seconds), is asked for again after half the
 * time left (at least a second) while there is time; no answer leaves the
 * deadline, and at `expiresAt` the client is disconnected. Stops by itself
 * when the socket disconnects.
 */
export function watchSocketExpiry(
  auth: LivebusAuth,
  socket: Socket,
  hooks: SocketExpiryHooks,
  logger: Pick<Logger, 'warn'>,
): void {
  let current = auth.stateOf(socket);
  // A credential that never expires is never asked for again (the refresh
  // starts from an expiry): nothing to watch, nothing kept per socket.
  if (current?.expiresAt == null) return;
  let cancelAsk = (): void => undefined;
  let cancelDeadline = (): void => undefined;
  const stop = (): void => {
    cancelAsk();
    cancelDeadline();
  };
  const schedule = (): void => {
    stop();
    const expiresAt = current?.expiresAt ?? null;
    if (expiresAt === null) return;
    cancelDeadline = runAt(expiresAt, () => hooks.expired());
    cancelAsk = runAt(expiresAt - auth.refreshBeforeMs, ask);
  };
  const askAgain = (expiresAt: number, why: string): void => {
    const left = expiresAt - Date.now();
    const wait = Math.max(MIN_ASK_INTERVAL_MS, left / 2);
    logger.warn(
      `a client's fresh credential ${why}: ${wait < left ? `asking again in ${Math.round(wait)} ms` : 'it is disconnected at expiry'}`,
    );
    if (wait < left) cancelAsk = runAt(Date.now() + wait, ask);
  };
  const ask = (): void => {
    const asked = current;
    const expiresAt = asked?.expiresAt;
    if (!expiresAt || socket.disconnected) return;
    const request: ReauthRequest = { expiresAt };
    socket.emit(REAUTH_MESSAGE, request, (fields: unknown) => {
      if (socket.disconnected || current !== asked) return;
      auth.reauthenticate(socket, fields).then(
        (state) => {
          if (socket.disconnected || current !== asked) return;
          if (state?.expiresAt != null && state.expiresAt <= expiresAt) {
            askAgain(expiresAt, 'does not expire later');
            return;
          }
          current = state;
          if (state) hooks.refreshed(state);
          schedule();
        },
        (error: unknown) => {
          if (socket.disconnected || current !== asked) return;
          const refusal = accessRefusal(error);
          askAgain(
            expiresAt,
            `was refused (${refusal ? `${refusal.code}: ${refusal.message.slice(0, 120)}` : 'a guard failed'})`,
          );
        },
      );
    });
  };
  schedule();
  socket.once('disconnect', stop);
}
