/**
 * Throws a TypeError naming option `name` unless `value` is absent or a
 * positive number (an integer when `kind` says so): one wording for every
 * numeric option the module checks.
 */
export function assertPositive(
  name: string,
  value: unknown,
  kind: 'integer' | 'number' = 'integer',
): void {
  if (value === undefined) return;
  const valid =
    typeof value === 'number' &&
    value > 0 &&
    Number.isFinite(value) &&
    (kind === 'number' || Number.isInteger(value));
  if (!valid) {
    throw new TypeError(
      `${name} must be a positive ${kind}, got ${String(value)}`,
    );
  }
}
