import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { chromium, type Browser, type Page } from 'playwright-core';
import { demoModule, serveLivePage } from '../demo/demo-app.js';
import { EventBusService } from '../src/index.js';
import { CHROMIUM_ARGS, chromiumPath } from './support/chromium.js';

async function startDemo(port = 0): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(
    demoModule({ worker: false }),
    { logger: false },
  );
  serveLivePage(app);
  await app.listen(port, '127.0.0.1');
  return app;
}

const cardText = (page: Page, type: string) =>
  page.locator(`article[data-type="${type}"] pre`).textContent();

describe('the live page in a real browser', () => {
  let browser: Browser;
  let app: INestApplication | undefined;

  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: CHROMIUM_ARGS,
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
  afterEach(async () => {
    await app?.close();
  });

  it('hydrates, updates live, and recovers after the server restarts', async () => {
    app = await startDemo();
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    const port = Number(new URL(url).port);
    await app.get(EventBusService).publish({ type: 'status', state: 'idle' });

    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(url + '/');
    await page.locator('#connection[data-state="live"]').waitFor();
    // Hydrated from the snapshot.
    await page.locator('article[data-type="status"]').waitFor();
    expect(JSON.parse((await cardText(page, 'status'))!)).toEqual({
      type: 'status',
      state: 'idle',
    });

    // Live: an event published now appears.
    const response = await fetch(url + '/api/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'prediction', label: 'Build' }),
    });
    expect(response.status).toBe(202);
    await page.locator('article[data-type="prediction"]').waitFor();
    expect(JSON.parse((await cardText(page, 'prediction'))!)).toEqual({
      type: 'prediction',
      label: 'Build',
    });
    await page.waitForFunction(
      () => document.getElementById('seq')?.textContent === '2',
    );

    // The activity worker's status and transitions, summarised.
    const bus = app.get(EventBusService);
    await bus.publish({
      type: 'status',
      state: 'collecting',
      currentApp: 'code',
      currentSince: new Date().toISOString(),
      candidateApp: 'firefox',
      candidateHeldMs: 3000,
      transitionThresholdMs: 6000,
      pollIntervalMs: 2000,
      pollCount: 3,
      provider: { name: 'proc', state: 'ready' },
      failures: 0,
    });
    await bus.publish({
      type: 'transition',
      from: 'code',
      to: 'firefox',
      blockStart: new Date().toISOString(),
      blockEnd: new Date().toISOString(),
      heldMs: 6000,
      at: new Date().toISOString(),
    });
    await page.locator('#transitions li').waitFor();
    expect(await page.locator('#current-app').textContent()).toBe('code');
    expect(await page.locator('#candidate-text').textContent()).toBe(
      '3.0 s of 6.0 s',
    );
    expect(await page.locator('#monitor-line').textContent()).toContain(
      'provider proc: ready',
    );
    expect(await page.locator('#transitions li').textContent()).toContain(
      'code → firefox',
    );

    // The server restarts (a new epoch); the page reconnects by itself and
    // replaces its state from the new server's snapshot.
    await app.close();
    app = undefined;
    await page.locator('#connection[data-state="reconnecting"]').waitFor();
    app = await startDemo(port);
    await app
      .get(EventBusService)
      .publish({ type: 'status', state: 'collecting' });
    await page
      .locator('#connection[data-state="live"]')
      .waitFor({ timeout: 15_000 });
    await page.waitForFunction(() =>
      document
        .querySelector('article[data-type="status"] pre')
        ?.textContent?.includes('"state": "collecting"\n}'),
    );
    expect(await page.locator('#resets').textContent()).toBe('1');
    expect(await page.locator('article[data-type="prediction"]').count()).toBe(
      0,
    );
    if (process.env.SCREENSHOT)
      await page.screenshot({ path: process.env.SCREENSHOT });
    expect(errors).toEqual([]);
    await page.close();
  });
});
