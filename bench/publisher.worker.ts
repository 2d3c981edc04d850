/**
 * The bench's worker thread, started by MonitorService (the module's
 * `worker` option). It publishes through the worker helper as fast as the
 * pipeline takes it: batches of `batch` events, each sent with `flush()` as
 * one message, while fewer than `window` of its events are still on their
 * way (the server's main thread counts them as written to the clients in a
 * shared Int32Array). Without that window a worker that outruns the main
 * thread would pile up messages in the port without bound, and a burst
 * larger than a client's queue would be dropped even for a fast client.
 */
import {
  flush,
  getWorkerData,
  publish,
  ready,
} from '../src/monitor/worker-publisher.js';
import { eventFactory } from './events.js';
import {
  CONTROL_ACK,
  CONTROL_RUN,
  RUN_EXIT,
  RUN_GO,
  type PublisherWorkerData,
} from './protocol.js';

const { control, window, batch, bytes } = getWorkerData<PublisherWorkerData>();
const ctrl = new Int32Array(control);
const make = eventFactory(bytes);
let sent = 0;
let turns = 0;

ready();
for (;;) {
  const run = Atomics.load(ctrl, CONTROL_RUN);
  if (run === RUN_EXIT) break;
  if (run !== RUN_GO) {
    Atomics.wait(ctrl, CONTROL_RUN, run, 20);
    // Let the event loop run now and then (termination, the helper's timers).
    await new Promise((resolve) => setImmediate(resolve));
    continue;
  }
  const acked = Atomics.load(ctrl, CONTROL_ACK);
  if (sent - acked + batch > window) {
    Atomics.wait(ctrl, CONTROL_ACK, acked, 5);
  } else {
    for (let i = 0; i < batch; i++) publish(make(++sent));
    flush();
  }
  if (++turns % 4096 === 0) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}
