import type { ResolvedAuthOptions } from '../bus/event-bus-options.js';
import { assertPositive } from '../core/assert-option.js';
import type { LivebusAuthOptions } from './auth-options.interface.js';

/** The defaults of the `auth` option. */
export const AUTH_DEFAULTS = {
  /** Ask a Socket.IO client for a fresh credential 30 s before it expires. */
  refreshBeforeMs: 30_000,
} as const;

/**
 * Checks the `auth` option and applies its defaults (part of
 * `resolveEventBusOptions`): `null` when it is not given.
 */
export function resolveAuthOptions(
  auth: LivebusAuthOptions | undefined,
): ResolvedAuthOptions | null {
  if (auth === undefined) return null;
  if (typeof auth !== 'object' || auth === null || Array.isArray(auth)) {
    throw new TypeError(
      'auth must be { guards?, authenticate?, canRead?, canPublish?, refreshBeforeMs? }',
    );
  }
  const guards = auth.guards ?? [];
  if (
    !Array.isArray(guards) ||
    guards.some(
      (guard: unknown) =>
        typeof guard !== 'function' &&
        (typeof guard !== 'object' ||
          guard === null ||
          typeof (guard as Partial<CanActivateShape>).canActivate !==
            'function'),
    )
  ) {
    throw new TypeError(
      'auth.guards must be an array of CanActivate classes or instances',
    );
  }
  for (const hook of ['authenticate', 'canRead', 'canPublish'] as const) {
    if (auth[hook] !== undefined && typeof auth[hook] !== 'function') {
      throw new TypeError(
        `auth.${hook} must be a function, got ${typeof auth[hook]}`,
      );
    }
  }
  assertPositive('auth.refreshBeforeMs', auth.refreshBeforeMs, 'number');
  return {
    guards: [...guards],
    authenticate: auth.authenticate?.bind(auth) ?? null,
    canRead: auth.canRead?.bind(auth) ?? null,
    canPublish: auth.canPublish?.bind(auth) ?? null,
    refreshBeforeMs: auth.refreshBeforeMs ?? AUTH_DEFAULTS.refreshBeforeMs,
  };
}

interface CanActivateShape {
  canActivate: unknown;
}
