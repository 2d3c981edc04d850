import type { EventTransport } from '../transports/event-transport.js';

/** What {@link describeTransportConformance} needs to know of a transport. */
export interface TransportConformanceHarness {
  /**
   * A new, unstarted transport. For a shared one, every transport it
   * makes is one more node on the same backend.
   */
  create(): EventTransport | Promise<EventTransport>;
  /**
   * Whether its transports number events in one stream shared by nodes
   * (`sharedSequence`). The node, restart and epoch cases run only then.
   */
  shared: boolean;
  /** Empties the backend; run before each case. */
  reset?(): Promise<void>;
  /**
   * Makes the backend lose everything it holds (a store restarted without
   * its data): the transport must number what follows in a new epoch.
   */
  wipe?(): Promise<void>;
  /**
   * Takes the backend away (`begin`: kill the server, cut the network) and
   * brings it back (`end`), for the unavailability cases.
   */
  outage?: { begin(): Promise<void>; end(): Promise<void> };
  /** How long something that must happen may take, in ms. @default 10000 */
  timeoutMs?: number;
}
