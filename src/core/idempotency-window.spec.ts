import { IdempotencyWindow } from './idempotency-window.js';
import { idempotencyIdProblem } from '../protocol/idempotency.js';

describe('IdempotencyWindow', () => {
  it('remembers a value for maxAgeMs, then forgets it', () => {
    let now = 1000;
    const window = new IdempotencyWindow<number>(100, 10, () => now);
    window.remember('a', 1);
    now += 100;
    expect(window.get('a')).toBe(1);
    now += 1;
    expect(window.get('a')).toBeUndefined();
    expect(window.size).toBe(0);
  });

  it('keeps at most maxIds, forgetting the oldest first, whatever the rate', () => {
    const window = new IdempotencyWindow<number>(60_000, 3, () => 0);
    for (let i = 0; i < 1000; i++) window.remember(`id-${i}`, i);
    expect(window.size).toBe(3);
    expect(window.get('id-996')).toBeUndefined();
    expect([997, 998, 999].map((i) => window.get(`id-${i}`))).toEqual([
      997, 998, 999,
    ]);
  });

  it('counts an id remembered again once, as new', () => {
    let now = 0;
    const window = new IdempotencyWindow<number>(100, 2, () => now);
    window.remember('a', 1);
    now = 50;
    window.remember('b', 2);
    window.remember('a', 3);
    now = 120;
    // 'a' was remembered again at 50: it ages from then.
    expect([window.get('a'), window.get('b'), window.size]).toEqual([3, 2, 2]);
    window.remember('c', 4);
    expect([window.get('b'), window.get('a'), window.get('c')]).toEqual([
      undefined,
      3,
      4,
    ]);
  });
});

describe('idempotencyIdProblem', () => {
  it('takes 1 to 200 visible ASCII characters', () => {
    for (const id of ['a', 'order-42:shipped', '~'.repeat(200)]) {
      expect(idempotencyIdProblem(id)).toBeNull();
    }
  });

  it('says what is wrong, quoting nothing of what it refuses', () => {
    expect(idempotencyIdProblem(7)).toBe('must be a string, got number');
    expect(idempotencyIdProblem(null)).toBe('must be a string, got null');
    expect(idempotencyIdProblem('')).toBe('must not be empty');
    expect(idempotencyIdProblem('x'.repeat(201))).toBe(
      'must be at most 200 characters, got 201',
    );
    expect(idempotencyIdProblem('secret token')).toBe(
      'must be visible ASCII characters (no space or control character); character 7 is not',
    );
  });
});
