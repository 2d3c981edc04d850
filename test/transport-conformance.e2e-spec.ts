import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { describeTransportConformance } from '../src/testing/index.js';
import { MemoryTransport } from '../src/transports/memory.transport.js';
import { RedisTransport } from '../src/transports/redis/redis.transport.js';
import { AuditedTransport } from './support/audited.transport.js';
import { RedisServer, type ServerKind } from './support/redis-server.js';
import {
  SharedLog,
  SharedLogTransport,
} from './support/shared-log.transport.js';

// One suite, three transports: the built-in two (Redis on Redis and on
// Valkey) and one written against the public port alone, as an app would
// write its own.

describeTransportConformance('memory', {
  shared: false,
  create: () => new MemoryTransport(),
});

describe("the README's example (an audited transport)", () => {
  const dir = mkdtempSync(join(tmpdir(), 'livebus-audit-'));
  const file = join(dir, 'events.log');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describeTransportConformance('audited', {
    shared: false,
    create: () => new AuditedTransport(file),
  });

  it('wrote every event it carried to its file', () => {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThan(50);
    for (const line of lines) expect(JSON.parse(line)).toHaveProperty('type');
  });
});

let log = new SharedLog();
describeTransportConformance(
  'an in-process shared log (written in the tests)',
  {
    shared: true,
    create: () => new SharedLogTransport(log),
    reset: async () => {
      log = new SharedLog();
    },
    wipe: async () => log.wipe(),
    outage: {
      begin: async () => {
        log.available = false;
      },
      end: async () => {
        log.available = true;
      },
    },
  },
);

// The Redis transport on a real server: Redis, and Valkey (its fork).
describe.each<[ServerKind, string]>([
  ['redis', 'Redis (a real redis-server)'],
  ['valkey', 'Redis transport on Valkey (a real valkey-server)'],
])('%s', (kind, title) => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ kind });
  });
  afterAll(async () => {
    await server.kill();
  });

  /** Runs one command through a connection of its own. */
  async function command(name: string): Promise<void> {
    const client = new Redis(server.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
    });
    try {
      await client.connect();
      await client.call(name);
      await client.quit();
    } finally {
      client.disconnect();
    }
  }

  describeTransportConformance(title, {
    shared: true,
    create: () =>
      new RedisTransport({
        type: 'redis',
        url: server.url,
        connectTimeoutMs: 2000,
        commandTimeoutMs: 2000,
      }),
    reset: () => command('FLUSHALL'),
    wipe: () => command('FLUSHALL'),
    outage: {
      begin: () => server.kill(),
      end: () => server.restart(),
    },
  });
});
