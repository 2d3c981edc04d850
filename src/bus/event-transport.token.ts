/**
 * @internal The token of the bus's {@link EventTransport} (what the
 * `transport` option chose); use `getEventTransportToken()`.
 */
export const EVENT_TRANSPORT = Symbol('LIVEBUS_EVENT_TRANSPORT');

/**
 * The token under which `EventBusModule` provides the bus's transport: to
 * read it (`moduleRef.get(getEventTransportToken())`), or to replace it in a
 * test (`overrideProvider(getEventTransportToken()).useValue(...)`).
 */
export function getEventTransportToken(): symbol {
  return EVENT_TRANSPORT;
}
