import { gzipSync } from 'node:zlib';
import { Body, Controller, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { EventBusModule } from '../src/index.js';
import { postRaw } from './support/raw-post.js';
import { post, startApp, type TestApp } from './utils.js';

// Finding 8 of issue 9 (maxRequestBytes held only for bodies with a
// Content-Length) and finding 10's ingest part (application/*+json bodies
// failed as "got undefined undefined"; odd content types got a 400 that did
// not say what is accepted): the ingest route reads its own body, counting
// the bytes it actually reads.

/** A JSON array of events taking about `bytes` bytes, split in 512-byte chunks. */
function eventsOf(bytes: number): { json: string; chunks: string[] } {
  const count = Math.max(1, Math.round(bytes / 60));
  const events = Array.from({ length: count }, (_, i) => ({
    type: 'e',
    i,
    pad: 'x'.repeat(30),
  }));
  const json = JSON.stringify(events);
  const chunks: string[] = [];
  for (let at = 0; at < json.length; at += 512) {
    chunks.push(json.slice(at, at + 512));
  }
  return { json, chunks };
}

describe('the ingest body (finding 8: limits count bytes actually read)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ worker: false, maxRequestBytes: 2048 });
  });

  afterAll(async () => {
    await t.close();
  });

  it('refuses a chunked body over maxRequestBytes with 413, as with a Content-Length', async () => {
    const { json, chunks } = eventsOf(3000);
    expect(json.length).toBeGreaterThan(2048);
    const before = t.bus.lastSeq;
    const chunked = await postRaw(t.url, chunks);
    expect(chunked.status).toBe(413);
    expect(chunked.body.message).toMatch(
      /over the limit of 2048 bytes \(option maxRequestBytes\)/,
    );
    const withLength = await postRaw(t.url, [json], {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(json)),
    });
    expect(withLength.status).toBe(413);
    expect(t.bus.lastSeq).toBe(before);
  });

  it('takes a chunked body within the limit', async () => {
    const { json, chunks } = eventsOf(1500);
    const answer = await postRaw(t.url, chunks);
    expect(answer.status).toBe(202);
    expect(answer.body.accepted).toBe((JSON.parse(json) as unknown[]).length);
  });

  it('counts a compressed body by what it inflates to', async () => {
    const { json } = eventsOf(3000);
    const zipped = gzipSync(json);
    expect(zipped.length).toBeLessThan(2048);
    const answer = await postRaw(t.url, [zipped], {
      'content-type': 'application/json',
      'content-encoding': 'gzip',
    });
    expect(answer.status).toBe(413);
    const small = gzipSync(JSON.stringify({ type: 'zipped' }));
    expect(
      (
        await postRaw(t.url, [small], {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
        })
      ).status,
    ).toBe(202);
    const odd = await postRaw(t.url, ['{}'], {
      'content-type': 'application/json',
      'content-encoding': 'compress',
    });
    expect(odd.status).toBe(415);
    expect(odd.body.message).toMatch(/gzip/);
  });

  it('answers 400 for a body that is not JSON, quoting none of it', async () => {
    const answer = await postRaw(t.url, [`{"type": "x", ${'a'.repeat(1500)}`]);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/not valid JSON/);
    expect(answer.body.message!.length).toBeLessThan(300);
    const empty = await postRaw(t.url, []);
    expect(empty.status).toBe(400);
    expect(empty.body.message).toMatch(/empty/);
  });
});

describe('the ingest body limit is the module option, not the app parser', () => {
  it('takes a body over Express’s own 100 kB when maxRequestBytes allows it', async () => {
    const t = await startApp({ worker: false, maxRequestBytes: 300_000 });
    try {
      const { chunks } = eventsOf(150_000);
      const answer = await postRaw(t.url, chunks);
      expect(answer.status).toBe(202);
    } finally {
      await t.close();
    }
  });
});

@Controller('other/api/events')
class EchoController {
  @Post()
  echo(@Body() body: unknown): unknown {
    return { echoed: body };
  }
}

describe('the ingest route among the app’s own routes', () => {
  it('reads only its own body, under a global prefix; the app’s parser keeps the other routes', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        EventBusModule.forRoot({
          worker: false,
          ingest: true,
          maxRequestBytes: 2048,
        }),
      ],
      controllers: [EchoController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    app.setGlobalPrefix('v1');
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    try {
      const { json, chunks } = eventsOf(3000);
      const ours = await postRaw(url, chunks, undefined, '/v1/api/events');
      expect(ours.status).toBe(413);
      // The app's route with the same ending is parsed by the app's parser,
      // with its own limit (100 kB).
      const theirs = await postRaw(
        url,
        chunks,
        undefined,
        '/v1/other/api/events',
      );
      expect(theirs.status).toBe(201);
      expect(theirs.body).toEqual({ echoed: JSON.parse(json) });
      const small = await postRaw(
        url,
        ['{"type":"ok"}'],
        undefined,
        '/v1/api/events',
      );
      expect(small.status).toBe(202);
    } finally {
      await app.close();
    }
  });
});

describe('ingest content types (finding 10)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp({ worker: false });
  });

  afterAll(async () => {
    await t.close();
  });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON;charset="UTF-8"',
    'application/cloudevents+json',
    'application/vnd.api+json; charset=utf-8',
  ])('accepts %s', async (contentType) => {
    const response = await post(t.url, { type: 'typed' }, { contentType });
    expect(response.status).toBe(202);
  });

  it.each([
    ['text/plain'],
    ['application/x-www-form-urlencoded'],
    ['application/jsonp'],
    ['application/json; charset=latin1'],
    ['text/json'],
    [''],
  ])('answers 415 naming the accepted types for %j', async (contentType) => {
    const before = t.bus.lastSeq;
    const response = await postRaw(
      t.url,
      ['{"type":"x"}'],
      contentType ? { 'content-type': contentType } : {},
    );
    expect(response.status).toBe(415);
    expect(response.body.message).toMatch(
      /application\/json or application\/\*\+json, UTF-8/,
    );
    expect(response.body.message!.length).toBeLessThan(300);
    expect(t.bus.lastSeq).toBe(before);
  });

  it('quotes at most a prefix of an odd content type', async () => {
    const response = await postRaw(t.url, ['{}'], {
      'content-type': `text/${'z'.repeat(5000)}`,
    });
    expect(response.status).toBe(415);
    expect(response.body.message!.length).toBeLessThan(300);
  });

  it('names a deep field by a bounded path, whatever its keys', async () => {
    let nested: unknown = 1;
    for (let i = 0; i < 70; i++) nested = { ['k'.repeat(1000)]: nested };
    const response = await post(t.url, { type: 'deep', nested });
    expect(response.status).toBe(400);
    expect(String(response.body.message)).toMatch(/nests deeper than 64/);
    expect(String(response.body.message).length).toBeLessThan(400);
    expect(String(response.body.field).length).toBeLessThan(300);
  });
});
