// How the stream reader abandons a blocking read when its connection to
// Redis comes back: the read's promise races one of these.

/** What an interrupted command rejects with. */
export class Reconnected extends Error {
  constructor() {
    super('the connection to Redis came back: reading again from the head');
  }
}

/** A promise that rejects when fired, and is never left unhandled. */
export interface Interrupt {
  readonly promise: Promise<never>;
  fire(): void;
}

export const Interrupt = {
  make(): Interrupt {
    let fire: () => void = () => undefined;
    const promise = new Promise<never>((_, reject) => {
      fire = () => reject(new Reconnected());
    });
    promise.catch(() => undefined);
    return { promise, fire };
  },
};
