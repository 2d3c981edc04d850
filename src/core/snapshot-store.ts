import type { TypeFilter } from './type-filter.js';

/** Options of {@link SnapshotStore}. */
export interface SnapshotStoreOptions {
  /** At most this many types are kept; the least recently updated goes first. */
  maxTypes: number;
  /** Types never kept (one-off triggers that must not replay on hydration). */
  transientTypes: ReadonlySet<string>;
}

/**
 * The latest event of each type, kept as JSON text so that every read is a
 * fresh deep copy and the REST answer can be assembled without re-encoding.
 */
export class SnapshotStore {
  /** Type → event JSON, in update order, oldest first. */
  private readonly latest = new Map<string, string>();

  constructor(private readonly options: SnapshotStoreOptions) {}

  get size(): number {
    return this.latest.size;
  }

  /** The JSON text kept, in UTF-16 code units (about bytes for ASCII); O(types). */
  get chars(): number {
    let chars = 0;
    for (const [type, json] of this.latest) chars += type.length + json.length;
    return chars;
  }

  set(type: string, json: string): void {
    if (this.options.transientTypes.has(type)) return;
    // Delete first so Map order is update order, oldest first.
    this.latest.delete(type);
    this.latest.set(type, json);
    if (this.latest.size > this.options.maxTypes) {
      const oldest = this.latest.keys().next().value as string;
      this.latest.delete(oldest);
    }
  }

  /** A deep copy, optionally only of the given types. */
  toObject(types?: TypeFilter | null): Record<string, unknown> {
    return JSON.parse(this.toJson(types)) as Record<string, unknown>;
  }

  /** The snapshot as a JSON object text, optionally only of the given types. */
  toJson(types?: TypeFilter | null): string {
    let out = '{';
    for (const [type, json] of this.latest) {
      if (types && !types.has(type)) continue;
      if (out.length > 1) out += ',';
      out += JSON.stringify(type) + ':' + json;
    }
    return out + '}';
  }

  clear(): void {
    this.latest.clear();
  }
}
