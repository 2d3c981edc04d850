/**
 * Which event types pass: a `Set` of names, or any object that answers
 * `has` (a permission that decides type by type). Only `has` is ever called,
 * once per event and subscriber: it must be cheap and must not throw.
 */
export interface TypeFilter {
  has(type: string): boolean;
}
