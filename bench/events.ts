/**
 * The events every generator publishes, the same for both servers: a `tick`
 * with its number, the publish time and padding to the requested size.
 */
import { performance } from 'node:perf_hooks';

export const EVENT_TYPE = 'tick';
export const NAMESPACE = '/predictions';

export interface TickEvent {
  type: typeof EVENT_TYPE;
  /** 1, 2, 3, ... per generator run. */
  n: number;
  /** Publish time: ms since the Unix epoch, sub-millisecond (comparable across processes). */
  t: number;
  p: string;
}

/** Wall-clock time in ms with sub-millisecond resolution, comparable across processes. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Returns a function making the `n`th event, whose JSON is about `bytes`
 * long (exactly, for six-digit `n`).
 */
export function eventFactory(bytes: number): (n: number) => TickEvent {
  const probe: TickEvent = {
    type: EVENT_TYPE,
    n: 100_000,
    t: wallClockMs(),
    p: '',
  };
  const pad = 'x'.repeat(Math.max(0, bytes - JSON.stringify(probe).length));
  return (n) => ({ type: EVENT_TYPE, n, t: wallClockMs(), p: pad });
}
