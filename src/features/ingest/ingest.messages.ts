/** Error texts of the ingest endpoint: each says what was wrong and what to do. */
export const ingestMessages = {
  bodyTooLarge: (bytes: number, limit: number): string =>
    `request body is ${bytes} bytes, over the limit of ${limit} bytes (option maxRequestBytes); send fewer events per request`,
  notJson: (): string =>
    'request body must be JSON: send Content-Type: application/json with an event object or an array of events',
  emptyArray: (): string =>
    'request body is an empty array; send at least one event',
  badIdempotencyKey: (problem: string): string =>
    `header Idempotency-Key ${problem}; send one key (a UUID, say) per request, and the same key when you retry it`,
};
