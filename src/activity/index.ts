// The activity monitor, for a worker of your own: `nestjs-livebus/activity`.
// Framework-free, so a worker thread can import it without loading Nest.
export {
  ActivityMonitor,
  MAX_BACKOFF_MS,
  type ActivityEvent,
  type ActivityMonitorOptions,
  type ActivityStatusEvent,
  type InitialAppEvent,
  type MonitorActivityState,
  type TransitionEvent,
} from './activity-monitor.js';
export {
  ProviderUnavailableError,
  type ActivityProvider,
  type ProviderState,
} from './activity-provider.js';
export {
  CpuActivityProvider,
  ProviderSetupError,
  defaultActivityProvider,
  type ProcessCpu,
} from './proc-activity-provider.js';
