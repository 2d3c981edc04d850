import type { CloseReason } from './subscription-policy.js';

/**
 * @internal What a subscription tells the one consumer that pulls from it
 * (the gateway's and the SSE endpoint's pump): an object with methods, so
 * that each of thousands of idle clients holds no closure per hook.
 */
export interface SubscriptionWatcher {
  /** The queue went from empty to non-empty, or a gap was noted. */
  readable(): void;
  /** The bus started a new epoch: what was queued is gone. */
  reset(): void;
  /** The subscription ended (told once, before its `onClose` listeners). */
  closed(reason: CloseReason): void;
}

/**
 * The watcher behind the public `onReadable` / `onReset` callbacks: a hook
 * left unset goes on to the watcher it was put in front of.
 */
export class ListenerWatcher implements SubscriptionWatcher {
  onReadable: (() => void) | undefined;
  onReset: (() => void) | undefined;

  private constructor(private readonly behind: SubscriptionWatcher | null) {}

  /** `watcher` itself if it is one, else one in front of it. */
  static over(watcher: SubscriptionWatcher | null): ListenerWatcher {
    return watcher instanceof ListenerWatcher
      ? watcher
      : new ListenerWatcher(watcher);
  }

  readable(): void {
    if (this.onReadable) this.onReadable();
    else this.behind?.readable();
  }

  reset(): void {
    if (this.onReset) this.onReset();
    else this.behind?.reset();
  }

  closed(reason: CloseReason): void {
    this.behind?.closed(reason);
  }
}
