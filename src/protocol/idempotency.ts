/** The HTTP header that gives an ingest request its idempotency id. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Longest idempotency id, in characters. */
export const IDEMPOTENCY_ID_MAX_LENGTH = 200;

/**
 * Why `id` cannot be an idempotency id, or `null` if it can: a string of 1
 * to {@link IDEMPOTENCY_ID_MAX_LENGTH} visible ASCII characters (no space,
 * no control character), such as a UUID or `order-42:shipped`. The message
 * quotes at most a short prefix of what it refuses.
 */
export function idempotencyIdProblem(id: unknown): string | null {
  if (typeof id !== 'string') {
    return `must be a string, got ${id === null ? 'null' : typeof id}`;
  }
  if (id.length === 0) return 'must not be empty';
  if (id.length > IDEMPOTENCY_ID_MAX_LENGTH) {
    return `must be at most ${IDEMPOTENCY_ID_MAX_LENGTH} characters, got ${id.length}`;
  }
  const bad = /[^\x21-\x7e]/.exec(id);
  if (bad) {
    return `must be visible ASCII characters (no space or control character); character ${bad.index + 1} is not`;
  }
  return null;
}
