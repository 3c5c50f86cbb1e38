// A person with a real browser (Debian chromium via playwright-core): logs in at a real JupyterHub,
// follows the OAuth redirects to the launcher, opens apps (the echo app's WebSocket from page script,
// a real Shiny app rendering over its WebSocket), sees the starting and error pages, logs out.
// Screenshots are kept in test/artifacts/screenshots/.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hubLogin, launchBrowser, saveScreenshot } from '../helpers/browser.ts';
import { REPO_ROOT, RUNTIME_BUNDLE, startHub, type StartedHub } from '../helpers/hub.ts';
import { WAIT_LONG, WAIT_MEDIUM } from '../helpers/waits.ts';
import { shinyApp } from '../helpers/real-apps.ts';

const ECHO_APP = join(REPO_ROOT, 'test', 'fixtures', 'apps', 'echo-app.mjs');
const node = process.execPath;

let hub: StartedHub;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const manifest = {
    schemaVersion: 1,
    apps: [
      {
        name: 'echo',
        title: 'Echo',
        description: 'HTTP and WebSocket echo.',
        command: [node, ECHO_APP, '--port', '{port}'],
        launcher: { order: 1 },
      },
      {
        name: 'slow',
        title: 'Slow Starter',
        description: 'Takes a few seconds to become ready.',
        command: [node, ECHO_APP, '--port', '{port}', '--delay-ready', '4000'],
        readiness: { timeout: 30 },
        launcher: { order: 2 },
      },
      {
        name: 'broken',
        title: 'Broken App',
        description: 'Exits at once with an error.',
        command: [node, '-e', 'console.error("fatal: cannot open /data/config.yml"); process.exit(3)'],
        restart: { maxRestarts: 0 },
        launcher: { order: 3 },
      },
      shinyApp({ description: 'R Shiny from Debian.' }),
    ],
  };
  const file = join(mkdtempSync(join(tmpdir(), 'hubify-browser-')), 'manifest.json');
  writeFileSync(file, JSON.stringify(manifest));
  hub = await startHub({
    name: 'browser',
    users: ['alice'],
    cmd: [node, RUNTIME_BUNDLE],
    args: ['--manifest', file],
  });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  page.setDefaultTimeout(WAIT_LONG);
});

afterAll(async () => {
  await browser?.close();
  const result = await hub?.stop();
  expect(result?.leftovers ?? []).toEqual([]);
});

describe('a person in a browser', () => {
  it('logs in at the hub, is sent through OAuth and lands on the launcher', async () => {
    await hubLogin(page, hub.url, 'alice', hub.password, { next: '/hub/spawn' });
    await page.waitForURL(/\/user\/alice\/$/, { timeout: WAIT_LONG });
    await expect
      .poll(() => page.locator('h1, h2').allTextContents())
      .toEqual(expect.arrayContaining([expect.stringMatching(/apps/i)]));
    for (const title of ['Echo', 'Slow Starter', 'Broken App', 'Shiny demo']) {
      await expect.poll(() => page.getByText(title, { exact: true }).count()).toBeGreaterThan(0);
    }
    await saveScreenshot(page, 'launcher');
  });

  it('opens the echo app and talks to it over a WebSocket from page script', async () => {
    await page.goto(`${hub.url}/user/alice/echo/`);
    expect(await page.content()).toContain('echo-app');
    const reply = await page.evaluate(
      () =>
        new Promise<string>((resolve, reject) => {
          // Runs in the page: `location` is the page's.
          const { origin } = (globalThis as unknown as { location: { origin: string } }).location;
          const ws = new WebSocket(`${origin}/user/alice/echo/ws`.replace('http', 'ws'), ['chat']);
          ws.onopen = () => ws.send('from the browser');
          ws.onmessage = (event) => {
            resolve(`${ws.protocol}:${String(event.data)}`);
            ws.close();
          };
          ws.onerror = () => reject(new Error('websocket failed'));
        }),
    );
    expect(reply).toBe('chat:from the browser');
  });

  it('shows a starting page that refreshes until a slow app is ready', async () => {
    await page.goto(`${hub.url}/user/alice/slow/`);
    expect(await page.title()).toMatch(/Starting/i);
    await saveScreenshot(page, 'starting-page');
    await page.waitForURL(/\/user\/alice\/slow\/$/);
    await expect
      .poll(async () => page.content(), { timeout: WAIT_MEDIUM, interval: 500 })
      .toContain('echo-app');
  });

  it('shows the error page with the app’s own log lines when an app cannot start', async () => {
    await page.goto(`${hub.url}/user/alice/broken/`);
    await expect
      .poll(async () => (await page.content()).includes('cannot open /data/config.yml'), {
        timeout: WAIT_MEDIUM,
        interval: 500,
      })
      .toBe(true);
    await saveScreenshot(page, 'error-page');
    expect(await page.getByRole('button', { name: /restart/i }).count()).toBeGreaterThan(0);
  });

  it('runs a real Shiny app whose outputs render over its WebSocket', async () => {
    await page.goto(`${hub.url}/user/alice/shiny/`);
    await expect
      .poll(async () => page.locator('#doubled').textContent(), { timeout: WAIT_LONG, interval: 500 })
      .toBe('Doubled: 84');
    expect(await page.locator('#who').textContent()).toBe('User: alice');
    await saveScreenshot(page, 'shiny');
  });

  it('takes a token given in the URL out of the address bar and keeps the person signed in', async () => {
    const { token } = await hub.createToken('alice', { note: 'browser url token' });
    // A fresh context: no hub or server cookie, the token in the URL is the only credential.
    const context = await browser.newContext();
    try {
      const fresh = await context.newPage();
      await fresh.goto(`${hub.url}/user/alice/echo/?token=${token}&keep=1`);
      await fresh.waitForURL((url) => url.pathname === '/user/alice/echo/', { timeout: WAIT_MEDIUM });
      const address = new URL(fresh.url());
      expect(address.searchParams.has('token')).toBe(false);
      expect(address.searchParams.get('keep')).toBe('1');
      expect(await fresh.content()).toContain('echo-app');
      // The page never saw the token either: it is gone from history, and the next visit needs none.
      expect(
        await fresh.evaluate(() => (globalThis as unknown as { location: { href: string } }).location.href),
      ).not.toContain(token);
      await fresh.goto(`${hub.url}/user/alice/echo/`);
      expect(new URL(fresh.url()).pathname).toBe('/user/alice/echo/');
      expect(await fresh.content()).toContain('echo-app');
    } finally {
      await context.close();
    }
  });

  it('logs out through the hub and is asked to log in again', async () => {
    await page.goto(`${hub.url}/user/alice/logout`);
    await page.waitForURL(/\/hub\/login/);
    await page.goto(`${hub.url}/user/alice/echo/`);
    expect(new URL(page.url()).pathname).toBe('/hub/login');
  });
});
