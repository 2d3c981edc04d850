// The health entry point: `nestjs-livebus/health`. It needs @nestjs/terminus
// (an optional peer), which the main entry never loads.
export {
  LivebusHealthIndicator,
  type LivebusHealthOptions,
} from './livebus-health.indicator.js';
export { LivebusHealthModule } from './livebus-health.module.js';
