import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { isObservable, lastValueFrom } from 'rxjs';

// Small helpers of LivebusAuth: a guard's answer, a principal's expiry.

/** One guard's answer, whatever form it takes. */
export async function activate(
  guard: CanActivate,
  context: ExecutionContext,
): Promise<boolean> {
  const result = guard.canActivate(context);
  if (typeof result === 'boolean') return result;
  const value: unknown = await result;
  return (isObservable(value) ? await lastValueFrom(value) : value) === true;
}

/** A principal's `expiresAt` in ms since the epoch, or `null`. */
export function expiryOf(principal: unknown): number | null {
  if (!isObject(principal)) return null;
  const value = principal.expiresAt;
  if (value === undefined || value === null) return null;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms)) {
    throw new TypeError(
      "the principal's expiresAt must be ms since the epoch or a Date",
    );
  }
  return ms;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
