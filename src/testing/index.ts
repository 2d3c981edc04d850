// nestjs-livebus/testing: what an app needs to test its own transport.
export { describeTransportConformance } from './transport-conformance.js';
export type { TransportConformanceHarness } from './harness.js';
