import {
  ActivityMonitor,
  MAX_BACKOFF_MS,
  type ActivityEvent,
  type ActivityStatusEvent,
  type TransitionEvent,
} from './activity-monitor.js';
import {
  ProviderUnavailableError,
  type ActivityProvider,
  type ProviderState,
} from './activity-provider.js';

/** A provider that answers each sample with the next scripted value. */
class ScriptedProvider implements ActivityProvider {
  readonly name = 'scripted';
  state: ProviderState = { state: 'checking' };
  samples = 0;
  constructor(private readonly script: (() => string | null)[] = []) {}
  push(...next: (() => string | null)[]): void {
    this.script.push(...next);
  }
  async sample(): Promise<string | null> {
    this.samples++;
    const next = this.script.shift();
    const app = next ? next() : null;
    this.state = { state: 'ready' };
    return app;
  }
}
const sees = (app: string | null) => (): string | null => app;
const fails = (error: Error) => (): never => {
  throw error;
};

/** A monitor on a clock the test moves, polled by hand. */
function harness(options: { threshold?: number; interval?: number } = {}) {
  let now = Date.UTC(2026, 0, 1);
  const events: ActivityEvent[] = [];
  const logs: [string, string][] = [];
  const provider = new ScriptedProvider();
  const monitor = new ActivityMonitor({
    provider,
    publish: (event) => events.push(event),
    pollIntervalMs: options.interval ?? 2000,
    transitionThresholdMs: options.threshold ?? 6000,
    log: (level, message) => logs.push([level, message]),
    now: () => now,
  });
  return {
    monitor,
    provider,
    events,
    logs,
    advance(ms: number) {
      now += ms;
    },
    /** Advances the clock by `ms`, then polls once seeing `app`. */
    async pollAfter(ms: number, app: string | null) {
      now += ms;
      provider.push(sees(app));
      return monitor.poll();
    },
    of<T extends ActivityEvent['type']>(type: T) {
      return events.filter((e) => e.type === type) as Extract<
        ActivityEvent,
        { type: T }
      >[];
    },
    at(offsetMs: number) {
      return new Date(Date.UTC(2026, 0, 1) + offsetMs).toISOString();
    },
  };
}

describe('ActivityMonitor: the transition rule', () => {
  it('makes the first dominant app current, with one initial_app event', async () => {
    const h = harness();
    await h.pollAfter(0, 'code');
    await h.pollAfter(2000, 'code');
    expect(h.of('initial_app')).toEqual([
      { type: 'initial_app', app: 'code', at: h.at(0) },
    ]);
    expect(h.of('status').at(-1)).toMatchObject({
      currentApp: 'code',
      currentSince: h.at(0),
      candidateApp: null,
    });
  });

  it('fires once a different app has held for the threshold, with the block [current since, candidate first seen]', async () => {
    const h = harness({ threshold: 6000 });
    await h.pollAfter(0, 'code');
    await h.pollAfter(2000, 'firefox'); // first seen at 2000: held 0
    await h.pollAfter(2000, 'firefox'); // 2000
    await h.pollAfter(2000, 'firefox'); // 4000
    expect(h.of('transition')).toEqual([]);
    expect(h.of('status').at(-1)).toMatchObject({
      currentApp: 'code',
      candidateApp: 'firefox',
      candidateHeldMs: 4000,
    });
    await h.pollAfter(2000, 'firefox'); // 6000: fires
    expect(h.of('transition')).toEqual([
      {
        type: 'transition',
        from: 'code',
        to: 'firefox',
        blockStart: h.at(0),
        blockEnd: h.at(2000),
        heldMs: 6000,
        at: h.at(8000),
      },
    ]);
    expect(h.of('status').at(-1)).toMatchObject({
      currentApp: 'firefox',
      currentSince: h.at(2000),
      candidateApp: null,
      candidateHeldMs: 0,
    });
  });

  it('counts real elapsed time: one delayed poll can complete the threshold', async () => {
    const h = harness({ threshold: 6000 });
    await h.pollAfter(0, 'code');
    await h.pollAfter(2000, 'firefox');
    await h.pollAfter(7000, 'firefox'); // the poll was late: 7 s really passed
    expect(h.of('transition')).toHaveLength(1);
    expect(h.of('transition')[0].heldMs).toBe(7000);
  });

  it('resets the candidate when the app flips back or a third app appears', async () => {
    const h = harness({ threshold: 6000 });
    await h.pollAfter(0, 'code');
    await h.pollAfter(2000, 'firefox');
    await h.pollAfter(2000, 'firefox'); // held 2000
    await h.pollAfter(2000, 'code'); // flipped back
    expect(h.of('status').at(-1)).toMatchObject({ candidateApp: null });
    await h.pollAfter(2000, 'firefox'); // a new candidate, from zero
    await h.pollAfter(2000, 'firefox'); // 2000
    await h.pollAfter(2000, 'slack'); // a third app: slack from zero
    await h.pollAfter(2000, 'slack'); // 2000
    await h.pollAfter(2000, 'slack'); // 4000
    expect(h.of('transition')).toEqual([]);
    expect(h.of('status').at(-1)).toMatchObject({
      candidateApp: 'slack',
      candidateHeldMs: 4000,
    });
  });

  it('fires two transitions in a row', async () => {
    const h = harness({ threshold: 4000 });
    await h.pollAfter(0, 'a');
    for (const app of ['b', 'b', 'b', 'c', 'c', 'c']) {
      await h.pollAfter(2000, app);
    }
    expect(
      h.of('transition').map((t: TransitionEvent) => [t.from, t.to]),
    ).toEqual([
      ['a', 'b'],
      ['b', 'c'],
    ]);
  });

  it('polls while paused (counted) but observes and fires nothing; the pause does not count toward the candidate', async () => {
    const h = harness({ threshold: 6000 });
    await h.pollAfter(0, 'code');
    await h.pollAfter(2000, 'firefox'); // candidate from 2000
    h.monitor.pause();
    const samplesBefore = h.provider.samples;
    await h.monitor.poll();
    h.advance(60_000);
    await h.monitor.poll();
    expect(h.provider.samples).toBe(samplesBefore);
    const paused = h.of('status').slice(-2);
    expect(paused.map((s) => [s.state, s.pollCount])).toEqual([
      ['paused', 3],
      ['paused', 4],
    ]);
    h.advance(1000);
    h.monitor.resume();
    await h.pollAfter(2000, 'firefox'); // only the 2 s since resume count
    expect(h.of('transition')).toEqual([]);
    expect(h.of('status').at(-1)).toMatchObject({
      state: 'collecting',
      candidateApp: 'firefox',
      candidateHeldMs: 2000,
    });
  });

  it('treats a sample with no dominant app as no observation', async () => {
    const h = harness();
    await h.pollAfter(0, null);
    expect(h.of('initial_app')).toEqual([]);
    expect(h.of('status').at(-1)).toMatchObject({ currentApp: null });
  });
});

describe('ActivityMonitor: provider failures', () => {
  it('backs off min(interval × 2^failures, 300 s) for connection errors, warns after 3, resets on success', async () => {
    const h = harness({ interval: 2000 });
    const down = new ProviderUnavailableError('connection refused');
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      h.provider.push(fails(down));
      delays.push(await h.monitor.poll());
    }
    expect(delays).toEqual([
      4000,
      8000,
      16_000,
      32_000,
      64_000,
      128_000,
      256_000,
      MAX_BACKOFF_MS,
      MAX_BACKOFF_MS,
    ]);
    expect(h.of('status').at(-1)).toMatchObject({
      failures: 9,
      nextPollInMs: MAX_BACKOFF_MS,
    });
    expect(h.logs).toEqual([
      [
        'warn',
        "activity provider 'scripted' failed 3 times in a row: connection refused",
      ],
    ]);
    expect(await h.pollAfter(0, 'code')).toBe(2000);
    expect(h.of('status').at(-1)).toMatchObject({ failures: 0 });
    expect(h.logs[1]).toEqual([
      'info',
      "activity provider 'scripted' recovered after 9 failures",
    ]);
    h.provider.push(fails(down));
    expect(await h.monitor.poll()).toBe(4000);
  });

  it('keeps the normal interval for other errors, but counts them', async () => {
    const h = harness({ interval: 2000 });
    h.provider.push(fails(new Error('parse error')));
    expect(await h.monitor.poll()).toBe(2000);
    expect(h.of('status').at(-1)).toMatchObject({ failures: 1 });
  });

  it('reports the provider state in every status: checking, then setup_required with its message', async () => {
    const h = harness();
    h.monitor.start();
    h.monitor.stop();
    expect(h.of('status')[0].provider).toEqual({
      name: 'scripted',
      state: 'checking',
    });
    const again = harness();
    again.provider.state = { state: 'setup_required', message: 'mount /proc' };
    again.provider.push(fails(new Error('no /proc')));
    await again.monitor.poll();
    expect(again.of('status').at(-1)?.provider).toEqual({
      name: 'scripted',
      state: 'setup_required',
      message: 'mount /proc',
    });
  });

  it('refuses a non-positive interval or threshold', () => {
    const provider = new ScriptedProvider();
    expect(
      () =>
        new ActivityMonitor({ provider, publish: () => {}, pollIntervalMs: 0 }),
    ).toThrow('pollIntervalMs must be a positive number, got 0');
    expect(
      () =>
        new ActivityMonitor({
          provider,
          publish: () => {},
          transitionThresholdMs: -1,
        }),
    ).toThrow(TypeError);
  });
});

describe('ActivityMonitor: the loop, on real timers', () => {
  /** Records events; `until` resolves once a matching status arrives. */
  function collect(events: ActivityEvent[]) {
    const waiters: [(e: ActivityStatusEvent) => boolean, () => void][] = [];
    const publish = (event: ActivityEvent) => {
      events.push(event);
      for (const [i, [match, wake]] of [...waiters.entries()].reverse()) {
        if (event.type === 'status' && match(event)) {
          waiters.splice(i, 1);
          wake();
        }
      }
    };
    const until = (match: (e: ActivityStatusEvent) => boolean) =>
      new Promise<void>((resolve) => waiters.push([match, resolve]));
    return { publish, until };
  }

  it('publishes idle (not a poll), polls at once, then every interval; stop ends it and publishes nothing more', async () => {
    const events: ActivityEvent[] = [];
    const hooks = collect(events);
    const provider = new ScriptedProvider(
      Array.from({ length: 100 }, () => sees('code')),
    );
    const monitor = new ActivityMonitor({
      provider,
      publish: hooks.publish,
      pollIntervalMs: 20,
    });
    monitor.start();
    expect(events).toEqual([
      expect.objectContaining({ type: 'status', state: 'idle', pollCount: 0 }),
    ]);
    await hooks.until((s) => s.pollCount === 3);
    monitor.stop();
    const statuses = events.filter(
      (e): e is ActivityStatusEvent => e.type === 'status',
    );
    expect(statuses.map((s) => [s.state, s.pollCount])).toEqual([
      ['idle', 0],
      ['collecting', 1],
      ['collecting', 2],
      ['collecting', 3],
    ]);
    expect(statuses[3].provider.state).toBe('ready');
    const count = events.length;
    await monitor.poll(); // even a poll after stop publishes nothing
    expect(events.length).toBe(count);
  });

  it('polls at once after start even with a long interval', async () => {
    const events: ActivityEvent[] = [];
    const hooks = collect(events);
    const monitor = new ActivityMonitor({
      provider: new ScriptedProvider([sees('code')]),
      publish: hooks.publish,
      pollIntervalMs: 3_600_000,
    });
    monitor.start();
    await hooks.until((s) => s.pollCount === 1);
    monitor.stop();
    expect(events.map((e) => e.type)).toEqual([
      'status',
      'initial_app',
      'status',
    ]);
  });

  it('discards a sample that was in flight when stop() was called', async () => {
    let answer!: (app: string) => void;
    const events: ActivityEvent[] = [];
    const provider: ActivityProvider = {
      name: 'slow',
      state: { state: 'ready' },
      sample: () => new Promise<string>((resolve) => (answer = resolve)),
    };
    const monitor = new ActivityMonitor({
      provider,
      publish: (event) => events.push(event),
    });
    const polled = monitor.poll();
    monitor.stop();
    answer('code');
    await polled;
    expect(events).toEqual([]);
  });
});
