import type { EventMap, EventType } from '../protocol/event-map.js';
import type { EventMeta } from '../protocol/messages.js';
import type { Listeners, TypedHandler } from './client-types.js';

/**
 * The client's listener lists: per kind (`state`, `gap`, ...) and per event
 * type. Each `add` returns its own removal.
 */
export class ClientListeners<M extends EventMap<M>> {
  readonly of: Listeners<M> = {
    event: [],
    state: [],
    connection: [],
    gap: [],
    reset: [],
    close: [],
  };
  // Keyed by type in a Map: a type named `toString` or `__proto__` is a
  // type like any other, never a member of a plain object.
  private readonly typed = new Map<string, TypedHandler[]>();

  add<K extends keyof Listeners<M>>(
    kind: K,
    handler: Listeners<M>[K][number],
  ): () => void {
    const list = this.of[kind] as Listeners<M>[K][number][];
    list.push(handler);
    return () => remove(list, handler);
  }

  addTyped(type: string, handler: TypedHandler): () => void {
    let list = this.typed.get(type);
    if (!list) this.typed.set(type, (list = []));
    list.push(handler);
    return () => remove(list, handler);
  }

  /** Every `event` listener, then the listeners of the event's type. */
  dispatchEvent(
    type: EventType<M>,
    event: M[EventType<M>],
    meta: EventMeta,
  ): void {
    for (const listener of this.of.event) listener(type, event, meta);
    for (const handler of this.typed.get(type) ?? []) {
      handler(event as never, meta);
    }
  }
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}
