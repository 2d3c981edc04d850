import type { TypeFilter } from '../../core/type-filter.js';
import { quotePrefix } from '../../protocol/event-types.js';
import { AccessRefusedError } from './access-refused.error.js';

/** Most answers one permission keeps; past it, it starts over. */
const MAX_REMEMBERED_TYPES = 4096;

/**
 * What one principal may read, as a {@link TypeFilter}: the app's
 * `canRead(principal, type)`, asked once per type and remembered, so that
 * delivering an event costs one `Map` lookup. One per connection (or
 * request); a hook that throws counts as `false` (told to `onError`).
 */
export class ReadPermission implements TypeFilter {
  private readonly answers = new Map<string, boolean>();

  constructor(
    private readonly principal: unknown,
    private readonly canRead: (principal: unknown, type: string) => boolean,
    private readonly onError: (error: unknown) => void,
  ) {}

  has(type: string): boolean {
    let allowed = this.answers.get(type);
    if (allowed === undefined) {
      try {
        allowed = this.canRead(this.principal, type) === true;
      } catch (error) {
        this.onError(error);
        allowed = false;
      }
      if (this.answers.size >= MAX_REMEMBERED_TYPES) this.answers.clear();
      this.answers.set(type, allowed);
    }
    return allowed;
  }
}

/**
 * Refuses a client's type filter that names a type it may not read
 * (`forbidden`, naming the first such type): a client filter only narrows
 * what the server allows, and asking for more is an error, not a silent
 * narrowing.
 */
export function assertReadable(
  allowed: TypeFilter | null,
  types: Iterable<string> | null,
  field = 'types',
): void {
  if (allowed === null || types === null) return;
  for (const type of types) {
    if (!allowed.has(type)) {
      throw new AccessRefusedError(
        'forbidden',
        `you may not read ${quotePrefix(type)}`,
        field,
      );
    }
  }
}
