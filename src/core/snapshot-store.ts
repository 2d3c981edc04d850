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

/** One type's latest event, linked in update order (oldest first). */
interface Entry {
  readonly type: string;
  json: string;
  bytes: number;
  prev: Entry | null;
  next: Entry | null;
}

/**
 * The latest event of each type, kept as JSON text so that every read is a
 * fresh deep copy and the REST answer can be assembled without re-encoding.
 * Bounded by a count of types and a budget of bytes: past either, the least
 * recently updated types go first.
 */
export class SnapshotStore {
  /**
   * Type → entry. Entries are added for a new type and deleted only when
   * evicted: an update moves its entry in the list below instead, so the
   * Map's table is not rebuilt at every event (once the Map is in V8's old
   * generation, each rebuilt table would be allocated there, garbage at once).
   */
  private readonly latest = new Map<string, Entry>();
  private oldest: Entry | null = null;
  private newest: Entry | null = null;
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
    let entry = this.latest.get(type);
    // `"type":json,`: what the entry adds to the JSON object text.
    const bytes =
      (entry ? entry.bytes - Buffer.byteLength(entry.json) : keyBytes(type)) +
      Buffer.byteLength(json);
    if (entry) {
      this.unlink(entry);
      this.totalBytes += bytes - entry.bytes;
      entry.json = json;
      entry.bytes = bytes;
    } else {
      entry = { type, json, bytes, prev: null, next: null };
      this.latest.set(type, entry);
      this.totalBytes += bytes;
    }
    this.link(entry);
    while (
      this.latest.size > 1 &&
      (this.latest.size > this.options.maxTypes ||
        this.totalBytes > this.options.maxBytes)
    ) {
      this.remove(this.oldest!);
    }
  }

  /** A deep copy, optionally only of the given types. */
  toObject(types?: TypeFilter | null): Record<string, unknown> {
    return JSON.parse(this.toJson(types)) as Record<string, unknown>;
  }

  /** The snapshot as a JSON object text, optionally only of the given types. */
  toJson(types?: TypeFilter | null): string {
    let out = '{';
    for (let entry = this.oldest; entry; entry = entry.next) {
      if (types && !types.has(entry.type)) continue;
      if (out.length > 1) out += ',';
      out += JSON.stringify(entry.type) + ':' + entry.json;
    }
    return out + '}';
  }

  clear(): void {
    this.latest.clear();
    this.oldest = this.newest = null;
    this.totalBytes = 0;
  }

  private remove(entry: Entry): void {
    this.unlink(entry);
    this.latest.delete(entry.type);
    this.totalBytes -= entry.bytes;
  }

  /** Appends `entry` as the newest. */
  private link(entry: Entry): void {
    entry.prev = this.newest;
    entry.next = null;
    if (this.newest) this.newest.next = entry;
    else this.oldest = entry;
    this.newest = entry;
  }

  private unlink(entry: Entry): void {
    if (entry.prev) entry.prev.next = entry.next;
    else if (this.oldest === entry) this.oldest = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else if (this.newest === entry) this.newest = entry.prev;
    entry.prev = entry.next = null;
  }
}

/** `"type":` and the separator after the entry, in UTF-8 bytes. */
function keyBytes(type: string): number {
  return Buffer.byteLength(JSON.stringify(type)) + 2;
}
