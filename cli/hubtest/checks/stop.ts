/**
 * Check 4, stop: the hub stops the owner's server; the container exits within the grace period with no
 * process left (the engine says it no longer runs) and exit code 0 or 143.
 */
import { STOP_GRACE_SECONDS, type StopRecord } from '../server-containers.ts';
import { CheckFailure, hubApi, ownerServer, sleep, type CheckContext } from './context.ts';

/** Why a stop record is not a clean stop, or null when it is. */
export function judgeStop(record: StopRecord | null): string | null {
  if (record === null) return 'the hub never asked for the container to stop';
  if (record.running) return 'the container still runs after the stop';
  if (record.exitCode !== 0 && record.exitCode !== 143)
    return `the container exited with code ${record.exitCode ?? 'unknown'} (expected 0 or 143${record.exitCode === 137 ? ': it was killed after the grace period' : ''})`;
  if (record.ms > (STOP_GRACE_SECONDS + 1) * 1000)
    return `the container took ${(record.ms / 1000).toFixed(1)} s to exit (grace period ${STOP_GRACE_SECONDS} s)`;
  return null;
}

export async function checkStop(context: CheckContext): Promise<string> {
  const res = await hubApi(context, 'DELETE', `/users/${encodeURIComponent(context.owner)}/server`);
  if (res.status !== 202 && res.status !== 204)
    throw new CheckFailure(
      `DELETE /hub/api/users/${context.owner}/server answered ${res.status}: ${res.text.slice(0, 200)}`,
    );
  const deadline = Date.now() + (STOP_GRACE_SECONDS + 20) * 1000;
  while ((await ownerServer(context)) !== undefined) {
    if (Date.now() > deadline) throw new CheckFailure('the hub still lists the server 30 s after the stop');
    await sleep(300);
  }
  const record = context.servers.servers.get(`${context.owner}/`)?.stopped ?? null;
  const problem = judgeStop(record);
  if (problem !== null) throw new CheckFailure(problem);
  return `container exited with ${record?.exitCode ?? '?'} ${((record?.ms ?? 0) / 1000).toFixed(1)} s after the stop`;
}
