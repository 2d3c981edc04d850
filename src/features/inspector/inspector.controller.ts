import {
  Controller,
  Get,
  Inject,
  NotFoundException,
  Param,
  Res,
  type Type,
} from '@nestjs/common';
import {
  RESOLVED_OPTIONS,
  type ResolvedEventBusOptions,
} from '../../bus/event-bus-options.js';
import {
  LivebusStatsService,
  type LivebusSample,
} from '../stats/livebus-stats.service.js';
import { LivebusEntry } from '../auth/livebus-auth.guard.js';
import { loadAssets, type Asset } from './inspector-assets.js';

interface HeaderWritable {
  setHeader(name: string, value: string): unknown;
}

/** The route segment under the inspector's path that holds its files. */
export const INSPECTOR_ASSETS = '_inspector';

/** What the page is told about where it runs. */
export interface InspectorConfig {
  readonly namespace: string;
  readonly logSize: number;
  /** The stats endpoint, relative to the page. */
  readonly statsUrl: string;
  readonly statsIntervalMs: number;
}

/**
 * The inspector: `GET <path>` is the page, `GET <path>/_inspector/<file>`
 * its files (its own, uPlot, the Socket.IO client and ours, all from the
 * installed packages: no CDN), `GET <path>/_inspector/stats.json` the
 * server's counters. A Nest controller, so the app's guards apply to all.
 */
export class InspectorController {
  private readonly assets: Map<string, Asset>;
  private readonly page: string;

  constructor(
    private readonly stats: LivebusStatsService,
    options: ResolvedEventBusOptions,
    path: string,
  ) {
    this.assets = loadAssets();
    const config: InspectorConfig = {
      namespace: options.namespace,
      logSize: options.inspector?.logSize ?? 2000,
      statsUrl: `${INSPECTOR_ASSETS}/stats.json`,
      statsIntervalMs: 1000,
    };
    const base = path === '' ? '/' : `/${path}/`;
    // JSON inside a script element: '<' escaped so no text can close it.
    const json = JSON.stringify(config).replace(/</g, '\\u003c');
    this.page = this.assets
      .get('index.html')!
      .body.replace('<!--base-->', `<base href="${base}" />`)
      .replace(/\{\s*"inspector":\s*"config"\s*\}/, json);
  }

  @Get()
  index(@Res({ passthrough: true }) res: HeaderWritable): string {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache');
    return this.page;
  }

  // Data: behind the `auth` option too (the page and its files are not).
  @Get(`${INSPECTOR_ASSETS}/stats.json`)
  @LivebusEntry('stats')
  async sample(
    @Res({ passthrough: true }) res: HeaderWritable,
  ): Promise<LivebusSample> {
    res.setHeader('Cache-Control', 'no-store');
    return this.stats.sample();
  }

  @Get(`${INSPECTOR_ASSETS}/:part/:file`)
  nested(
    @Param('part') part: string,
    @Param('file') file: string,
    @Res({ passthrough: true }) res: HeaderWritable,
  ): string {
    return this.file(`${part}/${file}`, res);
  }

  @Get(`${INSPECTOR_ASSETS}/:file`)
  asset(
    @Param('file') file: string,
    @Res({ passthrough: true }) res: HeaderWritable,
  ): string {
    return this.file(file, res);
  }

  private file(name: string, res: HeaderWritable): string {
    // Only the files listed at start-up: never a path from the request.
    const asset = this.assets.get(name);
    if (!asset || name === 'index.html') throw new NotFoundException();
    res.setHeader('Content-Type', asset.contentType);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    return asset.body;
  }
}

/** @internal An inspector controller bound to `path` (routes are class metadata). */
export function createInspectorController(
  path: string,
): Type<InspectorController> {
  @Controller(path)
  class BoundInspectorController extends InspectorController {
    constructor(
      stats: LivebusStatsService,
      @Inject(RESOLVED_OPTIONS) options: ResolvedEventBusOptions,
    ) {
      super(stats, options, path);
    }
  }
  return BoundInspectorController;
}
