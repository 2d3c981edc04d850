import { ThrottledLog } from './throttled-log.js';

describe('ThrottledLog', () => {
  it('writes a few lines of a key per interval, then says how many it held back', () => {
    const lines: string[] = [];
    let now = 0;
    const log = new ThrottledLog(
      {
        warn: (line) => lines.push(`W ${line}`),
        log: (line) => lines.push(`I ${line}`),
      },
      10_000,
      2,
      () => now,
    );
    for (let i = 0; i < 100; i++) log.warn('refused', `bad ${i}`);
    log.log('worker-log', 'hello');
    expect(lines).toEqual(['W bad 0', 'W bad 1', 'I hello']);
    now = 9_999;
    log.warn('refused', 'still held');
    expect(lines).toHaveLength(3);
    now = 10_000;
    log.warn('refused', 'bad again');
    expect(lines[3]).toBe('W bad again (and 99 more like it held back)');
    log.warn('refused', 'next');
    expect(lines[4]).toBe('W next');
  });
});
