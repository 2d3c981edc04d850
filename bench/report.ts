/** Number formats and the plain-text table the bench prints. */

const ok = Number.isFinite;
export const int = (n: number): string =>
  ok(n) ? Math.round(n).toLocaleString('en-US') : '–';
export const ms = (n: number): string => (ok(n) ? `${n.toFixed(2)} ms` : '–');
export const mb = (n: number): string =>
  ok(n) ? `${(n / 1024 / 1024).toFixed(1)} MB` : '–';
export const pct = (n: number): string => (ok(n) ? `${Math.round(n)}%` : '–');
export const times = (n: number): string => (ok(n) ? `${n.toFixed(2)}×` : '–');
/** `a ÷ b` as `1.23×`. */
export const ratio = (a: number, b: number): string => times(a / b);

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, [...cell].length);
    });
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell + ' '.repeat(widths[i] - [...cell].length))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
