// A real headless browser for integration tests: Debian's /usr/bin/chromium driven by playwright-core.
// Never downloads a browser; a missing chromium is a failure, not a skip.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './hub.ts';
import { WAIT_LONG } from './waits.ts';
import { CHROMIUM_ARGS, DEFAULT_CHROMIUM } from '../../cli/hubtest/browser.ts';

export const CHROMIUM_PATH = DEFAULT_CHROMIUM;
/** The flags `hubify test` launches Chromium with; the tests use the same. */
export { CHROMIUM_ARGS };
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test', 'artifacts', 'screenshots');

/** Launches Debian's chromium headless; throws when /usr/bin/chromium is missing. Close it yourself. */
export async function launchBrowser(): Promise<Browser> {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
  } catch {
    throw new Error(`Chromium is not installed at ${CHROMIUM_PATH}: run .ci/run or apt-get install chromium`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS],
    timeout: WAIT_LONG,
  });
}

export interface HubLoginOptions {
  /** Where the hub should send the browser after login (`next`); default `/hub/home` so that
   *  logging in never triggers a spawn of the default server by itself. */
  next?: string;
}

/**
 * Logs `user` in through the hub's login form in `page` and waits until the browser has left the
 * login page. Throws with the page's error text when the hub rejects the login.
 */
export async function hubLogin(
  page: Page,
  hubUrl: string,
  user: string,
  password: string,
  options: HubLoginOptions = {},
): Promise<void> {
  const next = options.next ?? '/hub/home';
  const loginUrl = new URL(`/hub/login?next=${encodeURIComponent(next)}`, hubUrl);
  await page.goto(loginUrl.toString(), { timeout: WAIT_LONG });
  await page.fill('#username_input', user);
  await page.fill('#password_input', password);
  await page.click('#login_submit');
  // Success leaves /hub/login; failure re-renders it with a .login_error paragraph.
  const left = page
    .waitForURL((url) => !url.pathname.endsWith('/hub/login'), { timeout: WAIT_LONG })
    .then(() => 'ok' as const);
  const rejected = page
    .locator('.login_error')
    .waitFor({ timeout: WAIT_LONG })
    .then(() => 'error' as const);
  left.catch(() => undefined);
  rejected.catch(() => undefined);
  const outcome = await Promise.race([left, rejected]).catch((error: unknown) => {
    throw new Error(`hub login as ${user} did not finish within ${WAIT_LONG} ms (at ${page.url()})`, {
      cause: error,
    });
  });
  if (outcome === 'error') {
    const text = await page.locator('.login_error').textContent();
    throw new Error(`hub login as ${user} was rejected: ${text?.trim() ?? ''}`);
  }
}

/** Saves a full-page PNG to test/artifacts/screenshots/<name>.png and returns the path. */
export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '-');
  const path = join(SCREENSHOT_DIR, `${safe}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
