import { resolveAuthOptions } from './resolve-auth-options.js';

describe('resolveAuthOptions', () => {
  it('is off when not given, and applies the defaults', () => {
    expect(resolveAuthOptions(undefined)).toBeNull();
    expect(resolveAuthOptions({})).toEqual({
      guards: [],
      authenticate: null,
      canRead: null,
      canPublish: null,
      refreshBeforeMs: 30_000,
    });
  });

  it('keeps the hooks bound to the options object', () => {
    const options = {
      prefix: 'public.',
      canRead(this: { prefix: string }, _principal: unknown, type: string) {
        return type.startsWith(this.prefix);
      },
    };
    expect(resolveAuthOptions(options)?.canRead?.(null, 'public.x')).toBe(true);
  });

  it.each([
    ['yes', /^auth must be \{/],
    [{ guards: 'JwtGuard' }, /auth.guards must be an array/],
    [{ guards: [{}] }, /auth.guards must be an array of CanActivate/],
    [{ authenticate: 'token' }, /auth.authenticate must be a function/],
    [{ canRead: ['a'] }, /auth.canRead must be a function, got object/],
    [{ canPublish: true }, /auth.canPublish must be a function/],
    [{ refreshBeforeMs: 0 }, /auth.refreshBeforeMs must be a positive number/],
  ])('refuses %j, naming the option', (auth, message) => {
    expect(() => resolveAuthOptions(auth as never)).toThrow(message);
  });
});
