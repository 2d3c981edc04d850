/**
 * A frame at least this large is written on its own, as is: never copied
 * into a per-client batch buffer (it may be shared by every client, as a
 * snapshot or a large event is).
 */
export const MAX_COPIED_FRAME_BYTES = 16 * 1024;

/**
 * Splits a batch into the runs to write, in order: consecutive small frames
 * together (one write, their bytes copied once into it), each large frame
 * alone (written as it is, so a client that stops reading holds the shared
 * frame, not a copy of it).
 */
export function frameRuns<T>(
  frames: readonly T[],
  bytes: (frame: T) => number,
): T[][] {
  const runs: T[][] = [];
  let small: T[] = [];
  for (const frame of frames) {
    if (bytes(frame) < MAX_COPIED_FRAME_BYTES) {
      small.push(frame);
      continue;
    }
    if (small.length > 0) runs.push(small);
    small = [];
    runs.push([frame]);
  }
  if (small.length > 0) runs.push(small);
  return runs;
}
