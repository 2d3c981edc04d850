/**
 * The bench's worker thread, started by MonitorService (the module's
 * `worker` option). While the server says go (a flag in shared memory), it
 * publishes as fast as the worker helper lets it: when `publish` returns
 * false the helper holds a full batch for the main thread, and the worker
 * awaits `drained()`, exactly as the README tells a fast producer to.
 */
import {
  drained,
  getWorkerData,
  publish,
  ready,
} from '../src/worker/worker-publisher.js';
import { eventFactory } from './events.js';
import {
  CONTROL_RUN,
  RUN_EXIT,
  RUN_GO,
  type PublisherWorkerData,
} from './protocol.js';

const { control, bytes } = getWorkerData<PublisherWorkerData>();
const ctrl = new Int32Array(control);
const make = eventFactory(bytes);
let sent = 0;

ready();
for (;;) {
  const run = Atomics.load(ctrl, CONTROL_RUN);
  if (run === RUN_EXIT) break;
  if (run !== RUN_GO) {
    Atomics.wait(ctrl, CONTROL_RUN, run, 20);
    // Let the event loop run now and then (termination, the helper's acks).
    await new Promise((resolve) => setImmediate(resolve));
    continue;
  }
  if (!publish(make(++sent))) await drained();
}
