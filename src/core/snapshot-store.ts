import type { TypeFilter } from './type-filter.js';

/** Options of {@link SnapshotStore}. */
export interface SnapshotStoreOptions {
  /** At most this many types are kept; the least recently updated goes first. */
  maxTypes: number;
  /**
   * At most this many bytes of JSON are kept (each entry counted as what it
   * adds to the snapshot's JSON text: its quoted type, its event's UTF-8
   * JSON and two separators); the least recently updated go first. Must
   * hold the largest event the bus accepts.
   */
  maxBytes: number;
  /** Types never kept (one-off triggers that must not replay on hydration). */
  transientTypes: ReadonlySet<string>;
}

interface Entry {
  readonly json: string;
  readonly bytes: number;
}

/**
 * The latest event of each type, kept as JSON text so that every read is a
 * fresh deep copy and the REST answer can be assembled without re-encoding.
 * Bounded by a count of types and a budget of bytes: past either, the least
 * recently updated types go first.
 */
export class SnapshotStore {
  /** Type → event JSON, in update order, oldest first. */
  private readonly latest = new Map<string, Entry>();
  private totalBytes = 0;

  constructor(private readonly options: SnapshotStoreOptions) {}

  get size(): number {
    return this.latest.size;
  }

  /**
   * The bytes kept, as counted against `maxBytes`: at most that, and about
   * the length of the snapshot's JSON text (`toJson()`), in UTF-8. O(1).
   */
  get bytes(): number {
    return this.totalBytes;
  }

  set(type: string, json: string): void {
    if (this.options.transientTypes.has(type)) return;
    // Delete first so Map order is update order, oldest first.
    this.remove(type);
    // `"type":json,`: what the entry adds to the JSON object text.
    const bytes =
      Buffer.byteLength(JSON.stringify(type)) + Buffer.byteLength(json) + 2;
    this.latest.set(type, { json, bytes });
    this.totalBytes += bytes;
    while (
      this.latest.size > 1 &&
      (this.latest.size > this.options.maxTypes ||
        this.totalBytes > this.options.maxBytes)
    ) {
      this.remove(this.latest.keys().next().value as string);
    }
  }

  /** A deep copy, optionally only of the given types. */
  toObject(types?: TypeFilter | null): Record<string, unknown> {
    return JSON.parse(this.toJson(types)) as Record<string, unknown>;
  }

  /** The snapshot as a JSON object text, optionally only of the given types. */
  toJson(types?: TypeFilter | null): string {
    let out = '{';
    for (const [type, { json }] of this.latest) {
      if (types && !types.has(type)) continue;
      if (out.length > 1) out += ',';
      out += JSON.stringify(type) + ':' + json;
    }
    return out + '}';
  }

  clear(): void {
    this.latest.clear();
    this.totalBytes = 0;
  }

  private remove(type: string): void {
    const entry = this.latest.get(type);
    if (!entry) return;
    this.latest.delete(type);
    this.totalBytes -= entry.bytes;
  }
}
