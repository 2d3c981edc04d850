/** Where an activity provider is: probing, working, or in need of the user's help. */
export type ProviderState =
  | { readonly state: 'checking' }
  | { readonly state: 'ready' }
  | {
      readonly state: 'setup_required';
      /** What the user must do, e.g. "mount /proc". */
      readonly message: string;
    };

/**
 * Tells the host's dominant application. The monitor only calls `sample()`
 * once per poll, so another source (a desktop API, a REST service) can be
 * added without touching the monitor.
 */
export interface ActivityProvider {
  /** Short name published in every `status` event, e.g. `proc`. */
  readonly name: string;
  readonly state: ProviderState;
  /**
   * The application that dominated since the previous call, or `null` when
   * nothing did (an idle host, or the first call, which only sets a
   * baseline). Throws {@link ProviderUnavailableError} for a failure that
   * may pass by itself (the monitor backs off), any other error for a
   * failure that will not.
   */
  sample(): Promise<string | null>;
}

/**
 * A provider failure that may pass by itself (a service down, a connection
 * refused): the monitor waits `min(interval × 2^failures, 300 s)` before
 * the next poll.
 */
export class ProviderUnavailableError extends Error {
  override readonly name = 'ProviderUnavailableError';
}
