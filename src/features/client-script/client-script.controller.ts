import { Controller, Get, Header, type Type } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { browserClientPath } from './browser-client-path.js';

/**
 * `GET <clientPath>`: the browser client as one minified ES module
 * (`LivebusClient` with socket.io-client inside), as Socket.IO serves
 * `/socket.io/socket.io.js`. A page imports it:
 * `import { LivebusClient } from '/livebus/client.js'`.
 * Off unless the module is given `clientPath`.
 */
export class ClientScriptController {
  private readonly script = readFileSync(browserClientPath(), 'utf8');

  @Get()
  @Header('Content-Type', 'text/javascript; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  @Header('X-Content-Type-Options', 'nosniff')
  getScript(): string {
    return this.script;
  }
}

/** @internal A client script controller bound to `path` (routes are class metadata). */
export function createClientScriptController(
  path: string,
): Type<ClientScriptController> {
  @Controller(path)
  class BoundClientScriptController extends ClientScriptController {}
  return BoundClientScriptController;
}
