import { WORKER_DEFAULTS } from '../protocol/worker-messages.js';
import { resolveEventBusOptions } from './resolve-options.js';
import type { MonitorWorkerOptions } from './event-bus-options.interface.js';

const script = '/app/worker.js';
const resolve = (worker: Partial<MonitorWorkerOptions>) =>
  resolveEventBusOptions({ worker: { script, ...worker } }).worker;

describe('resolveEventBusOptions: the worker guards', () => {
  it('applies the documented defaults', () => {
    const guards = {
      heartbeatIntervalMs: 1000,
      hangTimeoutMs: 30_000,
      startTimeoutMs: 30_000,
      maxRawMessagesPerSecond: 10_000,
      resourceLimits: { maxOldGenerationSizeMb: 512 },
    };
    expect(resolve({})).toMatchObject(guards);
    expect(WORKER_DEFAULTS).toMatchObject(guards);
  });

  it('takes the given values and merges resource limits over the default', () => {
    expect(
      resolve({
        heartbeatIntervalMs: 50,
        hangTimeoutMs: 100,
        startTimeoutMs: 10,
        maxRawMessagesPerSecond: 5,
        resourceLimits: { stackSizeMb: 8 },
      }),
    ).toMatchObject({
      heartbeatIntervalMs: 50,
      hangTimeoutMs: 100,
      startTimeoutMs: 10,
      maxRawMessagesPerSecond: 5,
      resourceLimits: { maxOldGenerationSizeMb: 512, stackSizeMb: 8 },
    });
  });

  it('refuses bad values with a message that names the field', () => {
    const cases: [Partial<MonitorWorkerOptions>, RegExp][] = [
      [
        { heartbeatIntervalMs: 0 },
        /worker.heartbeatIntervalMs must be a positive number/,
      ],
      [{ hangTimeoutMs: -1 }, /worker.hangTimeoutMs/],
      [{ startTimeoutMs: Number.NaN }, /worker.startTimeoutMs/],
      [
        { startTimeoutMs: 2 ** 31 },
        /worker.startTimeoutMs must be at most 2147483647 ms/,
      ],
      [
        { maxRawMessagesPerSecond: 1.5 },
        /worker.maxRawMessagesPerSecond must be a positive integer/,
      ],
      [
        { heartbeatIntervalMs: 1000, hangTimeoutMs: 1500 },
        /worker.hangTimeoutMs \(1500\) must be at least twice worker.heartbeatIntervalMs \(1000\)/,
      ],
      [{ hangTimeoutMs: 1000 }, /at least twice/],
      [
        {
          resourceLimits:
            512 as unknown as MonitorWorkerOptions['resourceLimits'],
        },
        /worker.resourceLimits must be an object/,
      ],
      [
        {
          resourceLimits: {
            maxHeap: 1,
          } as MonitorWorkerOptions['resourceLimits'],
        },
        /unknown field "maxHeap"/,
      ],
      [
        { resourceLimits: { maxOldGenerationSizeMb: 0 } },
        /worker.resourceLimits.maxOldGenerationSizeMb must be a positive number/,
      ],
    ];
    for (const [worker, message] of cases) {
      expect(() => resolve(worker)).toThrow(message);
    }
  });
});
