/**
 * Check 1, endpoint security, as a user would see it: an anonymous visit to the owner's server ends at
 * the hub's login; after logging in (headless Chromium) the owner lands on their server; the second
 * user is refused (403); a token in the Authorization header is accepted and a wrong one refused.
 */
import { request } from 'undici';
import { loginInPage } from '../browser.ts';
import { CheckFailure, hubApi, ownerServer, sleep, type CheckContext } from './context.ts';

/** Where a token request goes: the runtime's status, or Jupyter's contents API without hubify. */
export function tokenProbePath(prefix: string, hasHubify: boolean): string {
  return hasHubify ? `${prefix}api/status` : `${prefix}api/contents`;
}

/** A wrong token must not get a 2xx answer (4xx, or a redirect to the hub's login). */
export function refusesWrongToken(status: number): boolean {
  return status >= 300 && status < 500;
}

/** The browser has arrived on the owner's server (not a hub page). */
export function isOnServer(url: string, prefix: string): boolean {
  const path = new URL(url).pathname;
  return path.startsWith(prefix) || `${path}/` === prefix;
}

export async function checkEndpointSecurity(context: CheckContext): Promise<string> {
  const { browser, hubUrl, owner, second, password, prefix } = context;
  const notes: string[] = [];

  const ownerContext = await browser.newContext();
  try {
    const page = await ownerContext.newPage();
    await page.goto(`${hubUrl}${prefix}`, { timeout: context.timeoutMs });
    const anonymous = new URL(page.url()).pathname;
    if (!anonymous.endsWith('/hub/login'))
      throw new CheckFailure(`an anonymous visit to ${prefix} ended at ${anonymous}, not the hub's login`);
    notes.push('anonymous -> hub login');

    await loginInPage(page, owner, password, context.timeoutMs);
    // Hub 2+ does not spawn on /hub/user/<name>/ (424 with a launch button): launch as a user would.
    if (!isOnServer(page.url(), prefix)) {
      await page.goto(`${hubUrl}/hub/spawn/${encodeURIComponent(owner)}`, { timeout: context.timeoutMs });
    }
    await page.waitForURL((url) => isOnServer(url.toString(), prefix), { timeout: context.timeoutMs });
    const landed = new URL(page.url()).pathname;
    notes.push(`${owner} logged in -> ${landed}`);
  } finally {
    await ownerContext.close();
  }
  // The hub must agree that the server is up before anything else is asked of it.
  const deadline = Date.now() + context.timeoutMs;
  while ((await ownerServer(context))?.ready !== true) {
    if (Date.now() > deadline) throw new CheckFailure(`the hub never reported ${owner}'s server as ready`);
    await sleep(500);
  }

  const secondContext = await browser.newContext();
  try {
    const page = await secondContext.newPage();
    // next=/hub/home: logging in must not spawn a server of the second user.
    await page.goto(`${hubUrl}/hub/login?next=${encodeURIComponent('/hub/home')}`, {
      timeout: context.timeoutMs,
    });
    await loginInPage(page, second, password, context.timeoutMs);
    const response = await page.goto(`${hubUrl}${prefix}`, { timeout: context.timeoutMs });
    const status = response?.status() ?? 0;
    if (status !== 403)
      throw new CheckFailure(
        `${second} visiting ${prefix} got HTTP ${status} at ${new URL(page.url()).pathname}, expected 403`,
      );
    notes.push(`${second} -> 403`);
  } finally {
    await secondContext.close();
  }

  const made = await hubApi<{ token: string }>(
    context,
    'POST',
    `/users/${encodeURIComponent(owner)}/tokens`,
    {
      note: 'hubify test',
      expires_in: 3600,
    },
  );
  if (made.body?.token === undefined)
    throw new CheckFailure(
      `the hub did not make a token for ${owner}: HTTP ${made.status} ${made.text.slice(0, 200)}`,
    );
  context.ownerToken = made.body.token;
  const probe = `${hubUrl}${tokenProbePath(prefix, context.hasHubify)}`;
  const good = await request(probe, { headers: { Authorization: `token ${made.body.token}` } });
  await good.body.text();
  if (good.statusCode !== 200)
    throw new CheckFailure(
      `a valid token in the Authorization header got HTTP ${good.statusCode} from ${probe}`,
    );
  const bad = await request(probe, { headers: { Authorization: 'token hubify-test-wrong-token' } });
  await bad.body.text();
  if (!refusesWrongToken(bad.statusCode))
    throw new CheckFailure(`a wrong token got HTTP ${bad.statusCode} from ${probe}, expected a refusal`);
  notes.push(`token 200, wrong token ${bad.statusCode}`);
  return notes.join('; ');
}
