/**
 * The default worker: watches real host activity and publishes `status`
 * events every poll and a `transition` event when the dominant application
 * changes. Started and supervised by MonitorService.
 */
import type { ActivityWorkerSettings } from '../event-bus/interfaces/event-bus-module-options.interface.js';
import { ActivityMonitor } from './activity/activity-monitor.js';
import { defaultActivityProvider } from './activity/proc-activity-provider.js';
import {
  getWorkerData,
  log,
  onCommand,
  publish,
  ready,
} from './worker-publisher.js';

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
