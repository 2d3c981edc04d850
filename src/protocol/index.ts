// The wire vocabulary, shared by the server and the client.
export * from './codes.js';
export * from './messages.js';
export * from './event-types.js';
export * from './event-map.js';
export * from './idempotency.js';
