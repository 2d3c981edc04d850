/**
 * The default worker: watches real host activity and publishes `status`
 * events every poll and a `transition` event when the dominant application
 * changes. Started and supervised by MonitorService.
 */
import type { ActivityWorkerSettings } from './activity-defaults.js';
import { ActivityMonitor } from './activity-monitor.js';
import { defaultActivityProvider } from './proc-activity-provider.js';
import {
  getWorkerData,
  log,
  onCommand,
  publish,
  ready,
} from '../worker/worker-publisher.js';

const settings = getWorkerData<ActivityWorkerSettings>() ?? {};

const monitor = new ActivityMonitor({
  provider: defaultActivityProvider(),
  publish,
  pollIntervalMs: settings.pollIntervalMs,
  transitionThresholdMs: settings.transitionThresholdMs,
  log,
});

onCommand((command) => {
  if (command === 'pause') monitor.pause();
  else monitor.resume();
});

ready();
monitor.start();
