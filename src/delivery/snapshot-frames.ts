import type { SnapshotMeta } from '../protocol/messages.js';

/** The bus's state a snapshot frame is built from, read in one synchronous step. */
export interface SnapshotSource {
  readonly lastSeq: number;
  readonly epoch: string;
  snapshotJson(types?: ReadonlySet<string> | null): string;
}

/** How many distinct snapshot frames one cache tracks at most. @internal */
export const SNAPSHOT_FRAME_CACHE_ENTRIES = 64;

/** What a {@link SnapshotFrameCache} did, for tests and the curious. */
export interface SnapshotFrameCacheStats {
  /** Frames encoded. */
  built: number;
  /** Frames handed out again instead of encoding them anew. */
  shared: number;
  /** Frames still alive (some client holds them) and findable. */
  alive: number;
}

/**
 * The encoded snapshot frames of one encoder (Socket.IO, SSE, REST), shared
 * by every client that hydrates at the same point: the same epoch, seq,
 * type filter and `reset` flag give the same frame, encoded once.
 *
 * A frame is held weakly: it lives as long as some client still has it
 * queued or in flight (its pump, its transport's write buffer), and is
 * then released with no bookkeeping on the write path. So N clients that
 * stop reading during hydration cost one encoding of the snapshot, not N.
 * Frames of distinct filters are distinct: the cache tracks at most
 * `maxEntries` of them (the oldest is forgotten first; a forgotten frame
 * still serves the clients that hold it).
 */
export class SnapshotFrameCache<F extends object> {
  private readonly frames = new Map<string, WeakRef<F>>();
  private readonly registry = new FinalizationRegistry<string>((key) =>
    this.forgetIfDead(key),
  );
  private built = 0;
  private shared = 0;

  constructor(
    private readonly encode: (eventsJson: string, meta: SnapshotMeta) => F,
    private readonly maxEntries = SNAPSHOT_FRAME_CACHE_ENTRIES,
  ) {}

  /**
   * The frame of `source`'s snapshot as of now, for `types` (`null`: all),
   * marked `reset` or not: the one already encoded, or a new one. The
   * `types` of its meta are the filter's names, sorted.
   */
  frame(
    source: SnapshotSource,
    types: ReadonlySet<string> | null,
    reset: boolean,
  ): F {
    const names = types ? [...types].sort() : null;
    // A type name is never empty and the epoch has no newline: unambiguous.
    const key = `${source.epoch}\n${source.lastSeq}\n${reset ? 1 : 0}\n${names ? JSON.stringify(names) : '*'}`;
    const cached = this.frames.get(key)?.deref();
    if (cached) {
      this.shared++;
      return cached;
    }
    const frame = this.encode(source.snapshotJson(types), {
      seq: source.lastSeq,
      epoch: source.epoch,
      reset,
      types: names,
    });
    this.built++;
    this.remember(key, frame);
    return frame;
  }

  stats(): SnapshotFrameCacheStats {
    let alive = 0;
    for (const ref of this.frames.values()) if (ref.deref()) alive++;
    return { built: this.built, shared: this.shared, alive };
  }

  private remember(key: string, frame: F): void {
    this.frames.delete(key);
    if (this.frames.size >= this.maxEntries) {
      for (const [other, ref] of this.frames) {
        if (!ref.deref()) this.frames.delete(other);
      }
    }
    if (this.frames.size >= this.maxEntries) {
      this.frames.delete(this.frames.keys().next().value as string);
    }
    this.frames.set(key, new WeakRef(frame));
    this.registry.register(frame, key);
  }

  private forgetIfDead(key: string): void {
    // A frame built again under the same key may have replaced it.
    if (this.frames.get(key)?.deref() === undefined) this.frames.delete(key);
  }
}

/** One cache per encoder object and bus (the encoder is the same for all clients). */
const caches = new WeakMap<
  object,
  WeakMap<object, SnapshotFrameCache<object>>
>();

/**
 * The {@link SnapshotFrameCache} of `encoder` for the snapshots of `source`,
 * made at its first use. Per source too: two buses in one process (two
 * nodes of a shared transport) may be at the same epoch and seq with
 * snapshots bounded differently.
 */
export function snapshotFramesOf<F extends object>(
  encoder: {
    readonly snapshot: (eventsJson: string, meta: SnapshotMeta) => F;
  },
  source: SnapshotSource,
): SnapshotFrameCache<F> {
  let bySource = caches.get(encoder);
  if (!bySource) {
    bySource = new WeakMap();
    caches.set(encoder, bySource);
  }
  let cache = bySource.get(source) as SnapshotFrameCache<F> | undefined;
  if (!cache) {
    cache = new SnapshotFrameCache(encoder.snapshot);
    bySource.set(source, cache as SnapshotFrameCache<object>);
  }
  return cache;
}
