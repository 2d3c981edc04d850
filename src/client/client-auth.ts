import type { Socket, SocketOptions } from 'socket.io-client';
import { REAUTH_MESSAGE, type ReauthRequest } from '../protocol/messages.js';

/** Fields the app sends in the Socket.IO handshake's `auth`, e.g. `{ token }`. */
export type AuthFields = Record<string, unknown>;

/**
 * The app's credential: fixed fields, or a provider asked on every
 * (re)connection and whenever the server asks for a fresh credential
 * before the current one expires (`livebus:reauth`).
 */
export type AuthOption = AuthFields | (() => AuthFields | Promise<AuthFields>);

type SocketAuth = Partial<SocketOptions>['auth'];

/** The handshake fields that are the client's own: an app field never moves them. */
const OWN_FIELDS = ['epoch', 'lastSeq', 'types'];

/**
 * The app's credential as one provider: the client's `auth` option and
 * `socket.auth` (an object or Socket.IO's callback form), merged, the
 * former winning, without the client's own fields.
 */
export function appCredential(
  auth: AuthOption | undefined,
  socketAuth: SocketAuth,
): () => Promise<AuthFields> {
  return async () => {
    const fromSocket: AuthFields =
      typeof socketAuth === 'function'
        ? await new Promise<AuthFields>((resolve) =>
            socketAuth((data: object) => resolve({ ...data })),
          )
        : { ...socketAuth };
    const own = typeof auth === 'function' ? await auth() : auth;
    const fields = { ...fromSocket, ...own };
    for (const field of OWN_FIELDS) delete fields[field];
    return fields;
  };
}

/**
 * Answers the server's `livebus:reauth` with fresh fields from
 * `credential`, in-band: the connection stays. `null` when the provider
 * failed: the server asks again while there is time, else ends the
 * connection at expiry, and the reconnection asks the provider again.
 */
export function answerReauth(
  socket: Socket,
  credential: () => Promise<AuthFields>,
): void {
  socket.on(
    REAUTH_MESSAGE,
    (_request: ReauthRequest, ack?: (fields: AuthFields | null) => void) => {
      if (typeof ack !== 'function') return;
      credential().then(ack, () => ack(null));
    },
  );
}
