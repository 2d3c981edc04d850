/** What a client may ask for when it connects (or reconnects). */
export interface ClientRequest {
  /** Resume after this point of the stream, instead of a fresh snapshot. */
  readonly resume: { readonly epoch: string; readonly lastSeq: number } | null;
  /** Only these types (snapshot, replay and live); `null` for all. */
  readonly types: ReadonlySet<string> | null;
}

/** The stable code of a client request the server refuses as malformed. */
export const BAD_REQUEST_CODE = 'bad_request';

/**
 * Thrown for a client request the server cannot honour: a Socket.IO
 * handshake (the client gets it as `connect_error`, with `data.code`), a
 * `subscribe` message (its ack answers `{ error, code }`), an SSE query
 * (`400`). Not an `InvalidEventError`: no event was refused, and
 * the bus does not count it as one.
 */
export class ClientRequestError extends Error {
  override readonly name = 'ClientRequestError';
  /** Stable, for programs: what kind of refusal this is. */
  readonly code = BAD_REQUEST_CODE;
  /** What Socket.IO sends beside the message in `connect_error`. */
  readonly data: { readonly code: typeof BAD_REQUEST_CODE };

  constructor(
    /** The request field at fault, e.g. `lastSeq`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.data = { code: this.code };
  }
}

type Fields = Record<string, unknown>;

/**
 * Reads `lastSeq`, `epoch` and `types` from the Socket.IO handshake's `auth`
 * object (preferred) or query string (`?lastSeq=12&epoch=…&types=a,b`).
 */
export function parseClientRequest(
  auth: unknown,
  query: unknown,
): ClientRequest {
  const fields: Fields = {
    ...(isObject(query) ? query : {}),
    ...(isObject(auth) ? auth : {}),
  };
  const types = parseTypes(fields.types, 'types');
  const lastSeq = fields.lastSeq;
  const epoch = fields.epoch;
  if (lastSeq === undefined || lastSeq === null || lastSeq === '') {
    return { resume: null, types };
  }
  const seq = typeof lastSeq === 'string' ? Number(lastSeq) : lastSeq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) {
    throw new ClientRequestError(
      'lastSeq',
      `must be a non-negative integer, got ${JSON.stringify(lastSeq)}`,
    );
  }
  if (typeof epoch !== 'string' || epoch.length === 0) {
    throw new ClientRequestError(
      'epoch',
      'is required with lastSeq: send the epoch of the snapshot message the seq belongs to',
    );
  }
  return { resume: { epoch, lastSeq: seq }, types };
}

/** Parses a type filter: an array of type names, a comma-separated string, or nothing (all). */
export function parseTypes(
  value: unknown,
  path: string,
): ReadonlySet<string> | null {
  if (value === undefined || value === null || value === '') return null;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (
    !Array.isArray(list) ||
    list.some((type) => typeof type !== 'string' || type.length === 0)
  ) {
    throw new ClientRequestError(
      path,
      'must be an array of non-empty type names (or a comma-separated string)',
    );
  }
  return new Set(list as string[]);
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null;
}
