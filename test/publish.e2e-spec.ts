import {
  BusClosedError,
  EventTooLargeError,
  InvalidEventError,
} from '../src/index.js';
import { startApp, type TestApp } from './utils.js';

/**
 * Calls `publish` and records how it refused: a synchronous throw, or a
 * rejected promise. The contract is the second, always.
 */
async function refusal(
  call: () => Promise<unknown>,
): Promise<{ thrown: unknown; rejected: unknown }> {
  let promise: Promise<unknown>;
  try {
    promise = call();
  } catch (thrown) {
    return { thrown, rejected: undefined };
  }
  try {
    await promise;
  } catch (rejected) {
    return { thrown: undefined, rejected };
  }
  throw new Error('the publish was not refused');
}

describe('EventBusService.publish / publishAll refuse with a rejected promise, never a throw', () => {
  let t: TestApp;
  let closed: boolean;

  beforeEach(async () => {
    t = await startApp({ worker: false, maxEventBytes: 64 });
    closed = false;
  });

  afterEach(async () => {
    if (!closed) await t.close();
  });

  it('rejects an invalid event, naming the field', async () => {
    const { thrown, rejected } = await refusal(() =>
      t.bus.publish({ type: '' }),
    );
    expect(thrown).toBeUndefined();
    expect(rejected).toBeInstanceOf(InvalidEventError);
    expect((rejected as InvalidEventError).path).toBe('event.type');
  });

  it('rejects an event over maxEventBytes', async () => {
    const { thrown, rejected } = await refusal(() =>
      t.bus.publish({ type: 'big', payload: 'x'.repeat(100) }),
    );
    expect(thrown).toBeUndefined();
    expect(rejected).toBeInstanceOf(EventTooLargeError);
  });

  it('publishAll rejects a bad batch with its index, and publishes none of it', async () => {
    const { thrown, rejected } = await refusal(() =>
      t.bus.publishAll([{ type: 'ok' }, { nope: true }]),
    );
    expect(thrown).toBeUndefined();
    expect((rejected as InvalidEventError).path).toBe('events[1].type');
    expect(t.bus.lastSeq).toBe(0);
  });

  it('rejects after the bus closed, both methods', async () => {
    await t.close();
    closed = true;
    for (const call of [
      () => t.bus.publish({ type: 'late' }),
      () => t.bus.publishAll([{ type: 'late' }]),
    ]) {
      const { thrown, rejected } = await refusal(call);
      expect(thrown).toBeUndefined();
      expect(rejected).toBeInstanceOf(BusClosedError);
    }
  });

  it('still resolves with the seq when the event is good, in call order without await', async () => {
    const first = t.bus.publish({ type: 'a' });
    const second = t.bus.publishAll([{ type: 'b' }, { type: 'c' }]);
    expect(t.bus.lastSeq).toBe(3);
    await expect(first).resolves.toMatchObject({ seq: 1 });
    await expect(second).resolves.toMatchObject({ seq: 2 });
  });
});
