/**
 * Check 2, activity: after traffic to the server, the hub's `last_activity` for it advances (the spawn
 * environment sets JUPYTERHUB_ACTIVITY_INTERVAL=2).
 */
import { request } from 'undici';
import { CheckFailure, ownerServer, sleep, type CheckContext } from './context.ts';

/** True when `after` is a later ISO time than `before` (null before: any time counts). */
export function activityAdvanced(
  before: string | null | undefined,
  after: string | null | undefined,
): boolean {
  if (after === null || after === undefined) return false;
  if (before === null || before === undefined) return true;
  return Date.parse(after) > Date.parse(before);
}

export async function checkActivity(context: CheckContext): Promise<string> {
  const before = (await ownerServer(context))?.last_activity ?? null;
  await sleep(1100);
  const started = Date.now();
  const token = context.ownerToken;
  const headers = token === null ? {} : { Authorization: `token ${token}` };
  // Traffic a user makes: the launcher (Jupyter's contents without hubify). Apps are left alone here,
  // so that the app checks see them start.
  const targets = [`${context.prefix}${context.hasHubify ? '?launcher' : 'api/contents'}`];
  const deadline = Date.now() + 30_000;
  let after: string | null = null;
  while (Date.now() < deadline) {
    for (const target of targets) {
      const res = await request(`${context.hubUrl}${target}`, { headers }).catch(() => null);
      await res?.body.text();
    }
    await sleep(1000);
    after = (await ownerServer(context))?.last_activity ?? null;
    if (activityAdvanced(before, after)) {
      return `last_activity ${before ?? 'none'} -> ${after ?? ''} (${((Date.now() - started) / 1000).toFixed(1)} s after traffic)`;
    }
  }
  throw new CheckFailure(
    `last_activity did not advance within 30 s of traffic (still ${after ?? before ?? 'none'})`,
  );
}
