import {
  Inject,
  Injectable,
  Optional,
  type OnModuleInit,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PredictionsGateway } from '../features/gateway/predictions.gateway.js';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../bus/event-bus-options.js';
import {
  findPackage,
  majorMinor,
  type InstalledPackage,
} from './installed-packages.js';

const SUPPORTED_NEST = [11, 12];
const FIX =
  "Install nestjs-livebus's peers in the app itself, at the major of its @nestjs/core, and let npm keep one copy of each (`npm ls @nestjs/core @nestjs/common @nestjs/websockets` shows the copies; delete a nested node_modules/nestjs-livebus/node_modules/@nestjs, then `npm install`).";

const where = (found: InstalledPackage | null): string =>
  found ? `${found.version} at ${found.dir}` : 'none found';

/**
 * Fails the application's start, with what to do, when nestjs-livebus would
 * otherwise not work and say nothing: a second copy of Nest (its gateway and
 * controllers would be mounted by neither copy, its HTTP errors become 500s),
 * a Nest major it does not support, a gateway that Nest never mounted
 * (`@nestjs/websockets` missing where the app's `@nestjs/core` looks), or a
 * Socket.IO older than 4.8. Runs in `onModuleInit`, after Nest mounted the
 * gateways and before the app listens.
 */
@Injectable()
export class LivebusPreflight implements OnModuleInit {
  constructor(
    private readonly gateway: PredictionsGateway,
    @Inject(RESOLVED_OPTIONS) private readonly options: ResolvedEventBusOptions,
    @Optional()
    @Inject(HttpAdapterHost)
    private readonly adapterHost?: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const here = dirname(fileURLToPath(import.meta.url));
    const ourCore = findPackage(here, '@nestjs/core');
    if (!this.adapterHost) {
      // HttpAdapterHost is provided by every Nest application; not finding
      // ours means the app's container comes from another @nestjs/core.
      throw new Error(
        `nestjs-livebus: this app runs another copy of @nestjs/core than the one nestjs-livebus loads (${where(ourCore)}). ${FIX}`,
      );
    }
    if (ourCore) this.checkNest(here, ourCore);
    // A standalone application context has no HTTP server and no gateways.
    if (this.adapterHost.httpAdapter && !this.gateway.mounted) {
      throw new Error(this.notMounted(here, ourCore));
    }
  }

  private checkNest(here: string, core: InstalledPackage): void {
    const major = majorMinor(core.version)?.[0];
    if (major !== undefined && !SUPPORTED_NEST.includes(major)) {
      throw new Error(
        `nestjs-livebus supports Nest ${SUPPORTED_NEST.join(' and ')}; this app runs @nestjs/core ${where(core)}.`,
      );
    }
    // The app's @nestjs/core is ours (checked above): what it loads is the app's.
    for (const name of ['@nestjs/common', '@nestjs/websockets']) {
      const ours = findPackage(here, name);
      const apps = findPackage(core.dir, name);
      if (ours && apps && ours.dir !== apps.dir) {
        throw new Error(
          `nestjs-livebus: two copies of ${name}: the app's @nestjs/core uses ${where(apps)}, nestjs-livebus loads ${where(ours)}. ${FIX}`,
        );
      }
    }
    const websockets = findPackage(core.dir, '@nestjs/websockets');
    const platform = websockets
      ? findPackage(websockets.dir, '@nestjs/platform-socket.io')
      : null;
    const socketIo = platform ? findPackage(platform.dir, 'socket.io') : null;
    const version = socketIo ? majorMinor(socketIo.version) : null;
    if (version && (version[0] !== 4 || version[1] < 8)) {
      throw new Error(
        `nestjs-livebus needs Socket.IO 4.8 or a later 4.x; the app's @nestjs/platform-socket.io runs socket.io ${where(socketIo)}. Update @nestjs/platform-socket.io (it brings its socket.io).`,
      );
    }
  }

  private notMounted(here: string, core: InstalledPackage | null): string {
    const major = core ? (majorMinor(core.version)?.[0] ?? '') : '';
    const at = major ? `@${major}` : '';
    const ours = findPackage(here, '@nestjs/websockets');
    const apps = core ? findPackage(core.dir, '@nestjs/websockets') : null;
    return (
      `nestjs-livebus: Nest did not mount its Socket.IO gateway (namespace ${this.options.namespace}), so no client could connect. ` +
      `The app's @nestjs/core (${where(core)}) finds @nestjs/websockets: ${where(apps)}; nestjs-livebus finds ${where(ours)}. ` +
      `Install the gateway's packages in the app, at its Nest major: npm install @nestjs/websockets${at} @nestjs/platform-socket.io${at} socket.io`
    );
  }
}
