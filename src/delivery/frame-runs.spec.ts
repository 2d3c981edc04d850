import { frameRuns, MAX_COPIED_FRAME_BYTES } from './frame-runs.js';

describe('frameRuns', () => {
  const big = MAX_COPIED_FRAME_BYTES;
  const runs = (sizes: number[]) => frameRuns(sizes, (size) => size);

  it('writes small frames together and each large frame on its own, in order', () => {
    expect(runs([1, 2, big, 3, big + 1, big, 4])).toEqual([
      [1, 2],
      [big],
      [3],
      [big + 1],
      [big],
      [4],
    ]);
    expect(runs([1, 2, 3])).toEqual([[1, 2, 3]]);
    expect(runs([big])).toEqual([[big]]);
    expect(runs([])).toEqual([]);
  });
});
