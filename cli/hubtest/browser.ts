/**
 * Headless Chromium for the login check, driven by playwright-core (never downloads a browser):
 * `HUBIFY_CHROMIUM` or /usr/bin/chromium. A browser that cannot start is HUBIFY_BROWSER_UNAVAILABLE.
 */
import type { Browser, BrowserType, Page } from 'playwright-core';
import { EXIT, HubifyError } from '../errors.ts';

const PLAYWRIGHT: string = 'playwright-core';
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(env: Readonly<Record<string, string | undefined>>): Promise<Browser> {
  const executablePath = env.HUBIFY_CHROMIUM ?? DEFAULT_CHROMIUM;
  try {
    // Not bundled (playwright-core resolves its own files at run time): loaded from node_modules.
    const specifier = PLAYWRIGHT;
    const { chromium } = (await import(specifier)) as { chromium: BrowserType };
    return await chromium.launch({
      executablePath,
      headless: true,
      // hubify test traps signals itself: it closes the browser during its own clean-up.
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      args: [...CHROMIUM_ARGS],
      timeout: 30_000,
    });
  } catch (error) {
    throw new HubifyError({
      code: 'HUBIFY_BROWSER_UNAVAILABLE',
      message: `headless Chromium could not be launched from ${executablePath}`,
      detail: (error instanceof Error ? error.message : String(error)).split('\n').slice(0, 8).join('\n'),
      hint: 'Install chromium (apt-get install chromium) or point HUBIFY_CHROMIUM at a Chromium binary.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  }
}

/** Fills the hub's login form (any JupyterHub version) and waits until the browser left the login page. */
export async function loginInPage(
  page: Page,
  user: string,
  password: string,
  timeoutMs: number,
): Promise<void> {
  await page.fill('#username_input', user);
  await page.fill('#password_input', password);
  await Promise.all([
    page.waitForURL((url) => !url.pathname.endsWith('/hub/login'), { timeout: timeoutMs }),
    page.click('#login_submit'),
  ]);
}
