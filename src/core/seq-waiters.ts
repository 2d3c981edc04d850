interface Waiter {
  readonly seq: number;
  readonly wake: (reached: boolean) => void;
}

/**
 * Callers waiting for the bus to reach a seq (a resume that came from a node
 * whose reader is ahead of this one), each with its own deadline.
 */
export class SeqWaiters {
  private waiters: Waiter[] = [];

  /** Resolves `true` once {@link reached} passes `seq`, `false` after `timeoutMs`. */
  wait(seq: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter: Waiter = {
        seq,
        wake: (reached) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** The bus delivered `seq`: wakes (with `true`) whoever waited for it or less. */
  reached(seq: number): void {
    if (this.waiters.length > 0) this.wake((waiter) => waiter.seq <= seq, true);
  }

  /**
   * Wakes everyone: with `true` when the numbering restarted (they must look
   * again), with `false` when the bus closed.
   */
  wakeAll(reached: boolean): void {
    this.wake(() => true, reached);
  }

  private wake(due: (waiter: Waiter) => boolean, reached: boolean): void {
    const waiting = this.waiters;
    this.waiters = waiting.filter((waiter) => !due(waiter));
    for (const waiter of waiting) if (due(waiter)) waiter.wake(reached);
  }
}
