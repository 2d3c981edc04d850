import { jest } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { RedisServer } from './support/redis-server.js';
import { command } from './support/redis-ha.js';
import {
  once,
  receive,
  record,
  startApp,
  until,
  type TestApp,
} from './utils.js';

/**
 * The ACL the README documents, read from it (so the README cannot drift
 * from what is tested): the `ACL SETUSER livebus ...` line of its
 * least-privilege block, with the password put in.
 */
async function documentedAcl(password: string): Promise<string[]> {
  const readme = await readFile(
    new URL('../README.md', import.meta.url),
    'utf8',
  );
  const line = readme
    .split('\n')
    .find((text) => text.startsWith('ACL SETUSER livebus '));
  if (!line) throw new Error('the README documents no ACL SETUSER livebus');
  return line.replace('>CHANGE-ME', `>${password}`).split(/\s+/).slice(2);
}

describe('least privilege: a Redis user without INFO (the ACL the README documents)', () => {
  let dir: string;
  let redis: RedisServer;
  const apps: TestApp[] = [];
  let url: string;
  const node = async () => {
    const app = await startApp({
      worker: false,
      transport: { type: 'redis', url },
    });
    apps.push(app);
    return app;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'livebus-acl-'));
    redis = await RedisServer.start({ dir });
    await command(
      redis.port,
      'ACL',
      'SETUSER',
      ...(await documentedAcl('s3cret')),
    );
    // An ACL set by command is lost on restart: keep it in the RDB's config.
    url = `redis://livebus:s3cret@127.0.0.1:${redis.port}`;
  });
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close();
    await redis.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('the user may not run INFO, and everything works: publish, read, ids, a node started later', async () => {
    const user = new Redis(url, { lazyConnect: true, enableReadyCheck: false });
    await user.connect();
    await expect(user.call('INFO', 'server')).rejects.toThrow(/NOPERM/);
    user.disconnect();
    const warn = jest.spyOn(console, 'warn');
    try {
      const [a, b] = [await node(), await node()];
      const socket = b.connect();
      const received = record(socket);
      await once(socket, 'snapshot');
      for (let n = 1; n <= 10; n++) {
        await a.bus.publish({ type: `t${n % 2}`, n }, { id: `tick-${n}` });
      }
      expect(
        await b.bus.publish({ type: 't0', n: 10 }, { id: 'tick-10' }),
      ).toMatchObject({ seq: 10, duplicate: true });
      await receive(received, 10, (m) => m.name.startsWith('t'));
      const c = await node();
      expect([c.bus.epoch, c.bus.lastSeq]).toEqual([a.bus.epoch, 10]);
      expect(c.bus.snapshot()).toEqual(a.bus.snapshot());
      // Nothing else was refused: the ACL log holds only the INFO the test
      // and the transport's start tried (once each); nothing printed.
      const log = (await command(redis.port, 'ACL', 'LOG')) as string[][];
      const denied = log.map((entry) => {
        const fields = new Map<string, string>();
        for (let i = 0; i + 1 < entry.length; i += 2) {
          fields.set(entry[i], String(entry[i + 1]));
        }
        return [fields.get('object'), fields.get('count')];
      });
      expect(denied).toEqual([['info', '4']]);
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('a Redis restarted from an older RDB is still told apart: running nodes that read past its counter start a new epoch when they reconnect, and their clients re-hydrate', async () => {
    const [a, b] = [await node(), await node()];
    const socket = b.connect();
    const received = record(socket);
    await once(socket, 'snapshot');
    for (let n = 1; n <= 10; n++) {
      await a.bus.publish({ type: `t${n % 3}`, n });
      if (n === 5) await command(redis.port, 'SAVE');
    }
    await until(() => b.bus.lastSeq === 10, 5000, 'B read 10');
    const epoch = b.bus.epoch;
    await redis.kill();
    await redis.restart();
    // The user came back with the RDB? No: ACLs set by command are not in
    // it. Set it again, as a deployment's config file would.
    await command(
      redis.port,
      'ACL',
      'SETUSER',
      ...(await documentedAcl('s3cret')),
    );
    expect(await command(redis.port, 'GET', 'livebus:epoch')).toBe(epoch);
    await until(() => b.bus.epoch !== epoch, 10_000, 'B in a new epoch');
    expect(b.bus.lastSeq).toBe(5);
    const restored = {
      t1: { type: 't1', n: 4 },
      t2: { type: 't2', n: 5 },
      t0: { type: 't0', n: 3 },
    };
    expect(b.bus.snapshot()).toEqual(restored);
    const [reset] = await receive(
      received,
      1,
      (m) => m.name === 'snapshot' && m.meta.reset === true,
    );
    expect(reset.meta).toMatchObject({ epoch: b.bus.epoch, seq: 5 });
    // The next publish is numbered in the new epoch, which every node shares.
    await until(
      () => a.bus.transportState.state === 'ready',
      10_000,
      'A ready',
    );
    const receipt = await a.bus.publish({ type: 'after', n: 11 });
    expect([receipt.epoch, receipt.seq]).toEqual([b.bus.epoch, 6]);
    for (const app of [a, b]) {
      await until(() => app.bus.lastSeq === 6, 5000, 'seq 6');
      expect(app.bus.epoch).toBe(receipt.epoch);
    }
  });
});
