import { quotePrefix } from '../../protocol/event-types.js';

/** What ingest accepts, as the 415 answer says it. */
const ACCEPTED =
  'send Content-Type application/json or application/*+json, UTF-8, with an event object or an array of events';

/** Error texts of the ingest endpoint: each says what was wrong and what to do. */
export const ingestMessages = {
  bodyTooLarge: (bytes: number | null, limit: number): string =>
    `request body is ${bytes === null ? '' : `${bytes} bytes, `}over the limit of ${limit} bytes (option maxRequestBytes); send fewer events per request`,
  notJson: (contentType: string | undefined): string =>
    contentType === undefined || contentType === ''
      ? `request has no Content-Type: ${ACCEPTED}`
      : `Content-Type ${quotePrefix(contentType)} is not accepted: ${ACCEPTED}`,
  encoding: (encoding: string): string =>
    `Content-Encoding ${quotePrefix(encoding)} is not accepted: send the body uncompressed, or as gzip, deflate or br`,
  empty: (): string =>
    'request body is empty; send an event object or an array of events',
  emptyArray: (): string =>
    'request body is an empty array; send at least one event',
  notValidJson: (): string =>
    'request body is not valid JSON; send an event object or an array of events',
  notUtf8: (): string => 'request body is not valid UTF-8; send JSON in UTF-8',
  unreadable: (): string =>
    'request body could not be read to its end (the client went away, or its compression is broken)',
  badIdempotencyKey: (problem: string): string =>
    `header Idempotency-Key ${problem}; send one key (a UUID, say) per request, and the same key when you retry it`,
};
