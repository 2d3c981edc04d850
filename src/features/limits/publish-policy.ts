import type {
  PublishedEvent,
  ResolvedPublishPolicy,
  TypeRule,
} from '../../bus/access-options.js';
import { isEventType, quotePrefix } from '../../protocol/event-types.js';

/** Why a source may not publish an event. */
export type PolicyCode =
  'type_not_allowed' | 'type_limit_reached' | 'invalid_event';

/** A refused event: its code, and a message that names the option. */
export interface PolicyRefusal {
  readonly code: PolicyCode;
  readonly message: string;
}

/** What a {@link PublishPolicy} refused, by code, and the types it holds. */
export interface PublishPolicyStats {
  readonly typeNotAllowed: number;
  readonly typeLimitReached: number;
  readonly invalid: number;
  /** Distinct types this source has published. */
  readonly types: number;
}

/** Whether `type` matches a rule: an exact name, `'prefix*'`, or a pattern. */
export function matchesRule(type: string, rule: TypeRule): boolean {
  if (typeof rule !== 'string') return rule.test(type);
  return rule.endsWith('*')
    ? type.startsWith(rule.slice(0, -1))
    : type === rule;
}

/**
 * What one publishing source (the ingest endpoint, the worker) may write:
 * the types its allowlist names (a `'*'` source any type but the ones
 * another source declared), at most `maxTypes` distinct ones (so it can
 * never push another publisher's types out of the snapshot), each event
 * accepted by its `validate` hook. Types it has published are remembered
 * (at most `maxTypes` of them) and stay writable.
 */
export class PublishPolicy {
  private readonly seen = new Set<string>();
  private typeNotAllowed = 0;
  private typeLimitReached = 0;
  private invalid = 0;

  constructor(readonly options: ResolvedPublishPolicy) {}

  stats(): PublishPolicyStats {
    return {
      typeNotAllowed: this.typeNotAllowed,
      typeLimitReached: this.typeLimitReached,
      invalid: this.invalid,
      types: this.seen.size,
    };
  }

  /**
   * Checks events all or nothing: the first refused one (its index and
   * why), or `null` once every new type is remembered. Events whose type
   * is not a valid name are left to the bus, which refuses them.
   */
  admitAll(
    events: readonly unknown[],
    parse: (event: unknown) => PublishedEvent | null = asPublished,
  ): { index: number; refusal: PolicyRefusal } | null {
    const fresh = new Set<string>();
    for (let index = 0; index < events.length; index++) {
      const event = events[index];
      const type = typeOf(event);
      if (type === null) continue;
      const refusal =
        this.typeRefusal(
          type,
          this.seen.has(type) || fresh.has(type) ? 0 : fresh.size + 1,
        ) ?? this.validation(event, parse);
      if (refusal) return { index, refusal: this.count(refusal) };
      if (!this.seen.has(type)) fresh.add(type);
    }
    for (const type of fresh) this.seen.add(type);
    return null;
  }

  /** Checks and remembers one event: `null` when it may be published. */
  admitOne(
    event: unknown,
    parse: (event: unknown) => PublishedEvent | null = asPublished,
  ): PolicyRefusal | null {
    return this.admitAll([event], parse)?.refusal ?? null;
  }

  /** Why `type` may not be written, counting `added` new types with it. */
  private typeRefusal(type: string, added: number): PolicyRefusal | null {
    const { source, types, reserved, maxTypes } = this.options;
    const allowed =
      types === '*'
        ? !reserved.some((rule) => matchesRule(type, rule))
        : types.some((rule) => matchesRule(type, rule));
    if (!allowed) {
      return {
        code: 'type_not_allowed',
        message:
          types === '*'
            ? `${quotePrefix(type)} belongs to another publisher of this bus; ${source} may not write it (list it in ${source}.types to allow it)`
            : `${quotePrefix(type)} is not a type ${source} may publish (option ${source}.types)`,
      };
    }
    if (added > 0 && this.seen.size + added > maxTypes) {
      return {
        code: 'type_limit_reached',
        message: `${quotePrefix(type)} would be a new type: ${source} may publish at most ${maxTypes} distinct types (option ${source}.maxTypes), so that it cannot push other types out of the snapshot`,
      };
    }
    return null;
  }

  private validation(
    event: unknown,
    parse: (event: unknown) => PublishedEvent | null,
  ): PolicyRefusal | null {
    const validate = this.options.validate;
    if (!validate) return null;
    const published = parse(event);
    if (!published) return null;
    let verdict: ReturnType<typeof validate>;
    try {
      verdict = validate(published);
    } catch (error) {
      verdict = `the validate hook threw: ${(error as Error)?.message ?? String(error)}`;
    }
    if (verdict === true || verdict === undefined) return null;
    const reason =
      typeof verdict === 'string' && verdict
        ? verdict.slice(0, 200)
        : 'refused';
    return {
      code: 'invalid_event',
      message: `refused by ${this.options.source}.validate: ${reason}`,
    };
  }

  private count(refusal: PolicyRefusal): PolicyRefusal {
    if (refusal.code === 'type_not_allowed') this.typeNotAllowed++;
    else if (refusal.code === 'type_limit_reached') this.typeLimitReached++;
    else this.invalid++;
    return refusal;
  }
}

/** The event's type when it is a valid name, else `null` (the bus will refuse it). */
function typeOf(event: unknown): string | null {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    return null;
  }
  const type = (event as { type?: unknown }).type;
  return isEventType(type) ? type : null;
}

function asPublished(event: unknown): PublishedEvent | null {
  return typeOf(event) === null ? null : (event as PublishedEvent);
}
