import { closeNotice, refusalError, RefusalLog } from './close-notice.js';

describe('close notices', () => {
  it('refusalError carries the notice as data, as connect_error hands it to the client', () => {
    const error = refusalError(closeNotice('rate_limited', 'slow down', 500));
    expect(error.message).toBe('slow down');
    expect(error.data).toEqual({
      code: 'rate_limited',
      message: 'slow down',
      retryAfterMs: 500,
    });
  });

  it('RefusalLog writes one line per transport and code per interval, then says how many it held back', () => {
    const lines: string[] = [];
    let now = 0;
    const log = new RefusalLog(
      { warn: (line) => lines.push(line) },
      10_000,
      () => now,
    );
    const bad = closeNotice(
      'bad_request',
      'lastSeq: must be a non-negative integer',
    );
    for (let i = 0; i < 50; i++) log.refused('socketio', bad);
    log.refused('sse', bad);
    expect(lines).toEqual([
      'client refused: transport=socketio code=bad_request reason="lastSeq: must be a non-negative integer"',
      'client refused: transport=sse code=bad_request reason="lastSeq: must be a non-negative integer"',
    ]);
    now = 10_000;
    log.refused('socketio', bad);
    expect(lines[2]).toMatch(/\(and 49 more since the last line\)$/);
  });

  it('quotes at most a short prefix of what it refused', () => {
    const lines: string[] = [];
    const log = new RefusalLog({ warn: (line) => lines.push(line) });
    log.refused('socketio', closeNotice('bad_request', 'x'.repeat(10_000)));
    expect(lines[0].length).toBeLessThan(200);
  });
});
