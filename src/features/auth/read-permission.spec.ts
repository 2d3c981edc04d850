import { AccessRefusedError } from './access-refused.error.js';
import { runAt } from './expiry.js';
import { assertReadable, ReadPermission } from './read-permission.js';

describe('ReadPermission', () => {
  it('asks the hook once per type and remembers the answer', () => {
    const asked: string[] = [];
    const permission = new ReadPermission(
      { name: 'alice' },
      (principal, type) => {
        asked.push(`${(principal as { name: string }).name}:${type}`);
        return type !== 'secret';
      },
      () => undefined,
    );
    for (let i = 0; i < 3; i++) {
      expect(permission.has('a')).toBe(true);
      expect(permission.has('secret')).toBe(false);
    }
    expect(asked).toEqual(['alice:a', 'alice:secret']);
  });

  it('counts a hook that throws, or answers anything but true, as a refusal', () => {
    const errors: unknown[] = [];
    const permission = new ReadPermission(
      null,
      (_principal, type) => {
        if (type === 'boom') throw new Error('boom');
        return 'yes' as never;
      },
      (error) => errors.push(error),
    );
    expect(permission.has('boom')).toBe(false);
    expect(permission.has('a')).toBe(false);
    expect(errors).toHaveLength(1);
  });

  it('starts over past 4096 remembered types (bounded per connection)', () => {
    let calls = 0;
    const permission = new ReadPermission(
      null,
      () => ++calls > 0,
      () => undefined,
    );
    for (let i = 0; i <= 4096; i++) permission.has(`t${i}`);
    permission.has('t0');
    expect(calls).toBe(4098);
  });
});

describe('assertReadable', () => {
  const allowed = new Set(['a', 'b']);
  it('passes a filter inside what is allowed, or no filter', () => {
    expect(() => assertReadable(allowed, new Set(['a']))).not.toThrow();
    expect(() => assertReadable(allowed, null)).not.toThrow();
    expect(() => assertReadable(null, new Set(['x']))).not.toThrow();
  });

  it('names the first type it may not read, quoting at most a prefix', () => {
    let error: unknown;
    try {
      assertReadable(allowed, new Set(['a', 'x'.repeat(200)]));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AccessRefusedError);
    expect(error).toMatchObject({ code: 'forbidden', field: 'types' });
    expect((error as Error).message).toMatch(
      /^types: you may not read "x{32}"… \(200 characters\)$/,
    );
  });
});

describe('runAt', () => {
  it('runs a task at a time, at once if it has passed, and cancels', async () => {
    const ran: string[] = [];
    runAt(Date.now() - 1000, () => ran.push('past'));
    const cancel = runAt(Date.now() + 20, () => ran.push('cancelled'));
    runAt(Date.now() + 30, () => ran.push('later'));
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(ran).toEqual(['past', 'later']);
  });
});
