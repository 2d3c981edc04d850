import type { Provider } from '@nestjs/common';
import { activityWorkerPath } from '../../activity/activity-worker-path.js';

/** Finds the built-in activity worker's entry file; called only when that worker starts. */
export type WorkerPathResolver = () => string | URL;

/**
 * @internal Injection token of the {@link WorkerPathResolver} of the
 * built-in activity worker, so a test can hand in another file
 * (`overrideProvider(ACTIVITY_WORKER_PATH).useValue(() => path)`).
 */
export const ACTIVITY_WORKER_PATH = Symbol('LIVEBUS_ACTIVITY_WORKER_PATH');

/** @internal The default: the built activity worker (see `activityWorkerPath`). */
export const activityWorkerPathProvider: Provider = {
  provide: ACTIVITY_WORKER_PATH,
  useValue: activityWorkerPath satisfies WorkerPathResolver,
};
