// Typed events: one event map gives publish, subscribe and the client their
// types. The @ts-expect-error lines are checked by `tsc` (`npm run typecheck`,
// which `npm test` and `npm run lint` both run; a line that compiles fails the
// check): ts-jest only transpiles. The runtime part runs in Jest.
import { LivebusClient } from '../src/client/index.js';
import { LivebusCore } from '../src/core/index.js';

interface AppEvents {
  status: { type: 'status'; state: 'idle' | 'collecting' };
  prediction: { type: 'prediction'; label: string; confidence: number };
}

describe('typed events', () => {
  it('types publish and subscribe from one event map', () => {
    const bus = new LivebusCore<AppEvents>();
    const predictions = bus.subscribe({ types: ['prediction'] });
    bus.publish({ type: 'status', state: 'idle' });
    bus.publish({ type: 'prediction', label: 'Build', confidence: 0.9 });
    // @ts-expect-error: not a type of the map
    expect(() => bus.publish({ type: 'nope' })).not.toThrow();
    // @ts-expect-error: a field of the wrong type
    bus.publish({ type: 'prediction', label: 3, confidence: 1 });
    // @ts-expect-error: a state the map does not allow
    bus.publish({ type: 'status', state: 'sleeping' });
    // @ts-expect-error: not a type of the map
    bus.subscribe({ types: ['nope'] });

    interface Mislabelled {
      status: { type: 'prediction' };
    }
    // @ts-expect-error: an entry's type must be its key
    new LivebusCore<Mislabelled>().close();

    const [message] = predictions.take();
    // Narrowed by `types`: `label` is known to be a string.
    expect(message.event.label.toUpperCase()).toBe('BUILD');
    predictions.close();
  });

  it('types the client’s handlers and state from the same map', () => {
    const client = new LivebusClient<AppEvents>('http://127.0.0.1:1', {
      socket: { autoConnect: false },
    });
    const labels: string[] = [];
    client.on('prediction', (event, { seq }) => {
      labels.push(`${event.label}@${seq}`);
    });
    // @ts-expect-error: not a type of the map
    client.on('nope', () => undefined);
    client.on('status', (event) => {
      // @ts-expect-error: status events have no label
      labels.push(event.label);
    });
    const state: Partial<AppEvents> = client.state;
    expect(state).toEqual({});
    client.close();
  });
});
