import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { SnapshotMeta } from '../protocol/messages.js';
import {
  SnapshotFrameCache,
  snapshotFramesOf,
  type SnapshotSource,
} from './snapshot-frames.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Frame {
  json: string;
  meta: SnapshotMeta;
}

/** A bus stand-in: a seq, an epoch, and the JSON of the types asked for. */
function source(): SnapshotSource & {
  lastSeq: number;
  epoch: string;
  asked: number;
} {
  return {
    lastSeq: 1,
    epoch: 'e1',
    asked: 0,
    snapshotJson(types) {
      this.asked++;
      return JSON.stringify({ types: types ? [...types] : null });
    },
  };
}

describe('SnapshotFrameCache', () => {
  it('encodes the snapshot once for every client at the same point', () => {
    const bus = source();
    const cache = new SnapshotFrameCache<Frame>((json, meta) => ({
      json,
      meta,
    }));
    const first = cache.frame(bus, null, false);
    expect(cache.frame(bus, null, false)).toBe(first);
    expect(bus.asked).toBe(1);
    expect(first.meta).toEqual({
      seq: 1,
      epoch: 'e1',
      reset: false,
      types: null,
    });
    expect(cache.stats()).toEqual({ built: 1, shared: 1, alive: 1 });
  });

  it('encodes anew for another seq, epoch, reset flag or filter; a filter in any order is the same', () => {
    const bus = source();
    const cache = new SnapshotFrameCache<Frame>((json, meta) => ({
      json,
      meta,
    }));
    const all = cache.frame(bus, null, false);
    const reset = cache.frame(bus, null, true);
    const ab = cache.frame(bus, new Set(['b', 'a']), false);
    expect(cache.frame(bus, new Set(['a', 'b']), false)).toBe(ab);
    expect(ab.meta.types).toEqual(['a', 'b']);
    bus.lastSeq = 2;
    const later = cache.frame(bus, null, false);
    bus.epoch = 'e2';
    const otherEpoch = cache.frame(bus, null, false);
    expect(new Set([all, reset, ab, later, otherEpoch]).size).toBe(5);
    expect(later.meta.seq).toBe(2);
    expect(otherEpoch.meta.epoch).toBe('e2');
  });

  it('lets a frame go once no client holds it', async () => {
    const bus = source();
    const cache = new SnapshotFrameCache<Frame>((json, meta) => ({
      json,
      meta,
    }));
    const holder: { frame?: Frame } = { frame: cache.frame(bus, null, false) };
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(cache.stats().alive).toBe(1);
    expect(holder.frame?.meta.seq).toBe(1);
    delete holder.frame;
    // A WeakRef's target outlives the task that made or read it.
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(cache.stats().alive).toBe(0);
    cache.frame(bus, null, false);
    expect(cache.stats().built).toBe(2);
  });

  it('tracks at most its bound of distinct frames, forgetting the oldest', () => {
    const bus = source();
    const cache = new SnapshotFrameCache<Frame>(
      (json, meta) => ({ json, meta }),
      3,
    );
    const held = ['a', 'b', 'c', 'd'].map((type) =>
      cache.frame(bus, new Set([type]), false),
    );
    expect(cache.stats().alive).toBe(3);
    // 'a' was forgotten (its holder keeps it), 'd' is found.
    expect(cache.frame(bus, new Set(['d']), false)).toBe(held[3]);
    expect(cache.frame(bus, new Set(['a']), false)).not.toBe(held[0]);
  });

  it('keeps one cache per encoder and bus', () => {
    const encoder = { snapshot: (json: string) => ({ json }) };
    const [one, two] = [source(), source()];
    expect(snapshotFramesOf(encoder, one)).toBe(snapshotFramesOf(encoder, one));
    expect(snapshotFramesOf(encoder, two)).not.toBe(
      snapshotFramesOf(encoder, one),
    );
    expect(snapshotFramesOf({ snapshot: encoder.snapshot }, one)).not.toBe(
      snapshotFramesOf(encoder, one),
    );
  });
});
