/** Where a {@link ThrottledLog} writes (Nest's `Logger` fits). */
export interface LogSink {
  warn(message: string): void;
  log(message: string): void;
}

interface Window {
  at: number;
  lines: number;
  suppressed: number;
}

/**
 * Log lines rate-limited per key: at most `linesPerInterval` lines of a key
 * per `intervalMs`; the ones past it are counted, and the next line written
 * says how many were held back. A worker that sends a million bad messages
 * costs a few lines, not a million. Keys are a small fixed set.
 */
export class ThrottledLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly sink: LogSink,
    private readonly intervalMs = 10_000,
    private readonly linesPerInterval = 5,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, line: string): void {
    this.write(key, line, 'warn');
  }

  log(key: string, line: string): void {
    this.write(key, line, 'log');
  }

  private write(key: string, line: string, level: 'warn' | 'log'): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window) {
      window = { at: now, lines: 0, suppressed: 0 };
      this.windows.set(key, window);
    } else if (now - window.at >= this.intervalMs) {
      window.at = now;
      window.lines = 0;
    }
    if (window.lines >= this.linesPerInterval) {
      window.suppressed++;
      return;
    }
    window.lines++;
    const more = window.suppressed
      ? ` (and ${window.suppressed} more like it held back)`
      : '';
    window.suppressed = 0;
    this.sink[level](`${line}${more}`);
  }
}
