/** Texts of the limits' refusals: each names the option and what to do. */
export const limitsMessages = {
  connectionRate: (perSecond: number, retryAfterMs: number): string =>
    `too many new connections from your address (limits.connectionsPerSecond: ${perSecond} per second); retry in ${retryAfterMs} ms`,
  maxConnections: (max: number): string =>
    `the server has its most connections, ${max} (limits.maxConnections); retry later`,
  maxPerPrincipal: (max: number): string =>
    `you have the most connections allowed, ${max} (limits.maxConnectionsPerPrincipal); close one or retry later`,
  subscribeRate: (perSecond: number, retryAfterMs: number): string =>
    `too many subscribe messages (limits.subscribesPerSecond: ${perSecond} per second); retry in ${retryAfterMs} ms`,
  ingestRequests: (perSecond: number, retryAfterMs: number): string =>
    `too many ingest requests (ingest.requestsPerSecond: ${perSecond} per second); retry in ${retryAfterMs} ms`,
  ingestEvents: (perSecond: number, retryAfterMs: number): string =>
    `too many events published (ingest.eventsPerSecond: ${perSecond} per second); retry in ${retryAfterMs} ms`,
};

/**
 * How long a client refused for a connection cap (not a rate) is told to
 * wait: when a slot frees is unknown, so 2 to 5 s, spread so that refused
 * clients do not come back together.
 */
export function capRetryAfterMs(random: () => number = Math.random): number {
  return 2000 + Math.floor(random() * 3000);
}
