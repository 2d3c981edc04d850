// The wire vocabulary, shared by the server and the client.
export * from './messages.js';
export * from './event-types.js';
export * from './event-map.js';
