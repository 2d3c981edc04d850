/** The defaults of the limits, the publish policies and the origins (README: "Origins and limits"). */
export const ACCESS_DEFAULTS = {
  ingestPath: 'api/events',
  maxConnections: 10_000,
  maxConnectionsPerPrincipal: 100,
  connectionsPerSecond: 20,
  subscribesPerSecond: 5,
  maxTrackedKeys: 10_000,
  ingestRequestsPerSecond: 50,
  ingestEventsPerSecond: 500,
  /** Distinct types one source may hold, at most a quarter of `snapshotMaxTypes`. */
  maxTypesPerSource: 100,
  corsMaxAgeSeconds: 600,
} as const;
