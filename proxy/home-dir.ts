/**
 * Which directory is the user's home for the apps. Zero-to-JupyterHub (and other deployments) mount
 * the user's persistent volume at /home/jovyan whatever user the image runs as; an image whose user is
 * `rstudio` would then keep its work in an unmounted /home/rstudio and lose it. So: HUBIFY_HOME if set;
 * else $HOME when it is itself a mounted volume; else the one writable volume mounted at /home/<name>;
 * else $HOME. Apps get the result as HOME, `{home}` and their default working directory.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { homedir } from 'node:os';

export interface HomeChoice {
  home: string;
  reason: string;
}

/** Mount points of this process's mount namespace (field 5 of /proc/self/mountinfo, unescaped). */
export function readMountPoints(mountinfo = '/proc/self/mountinfo'): string[] {
  try {
    return readFileSync(mountinfo, 'utf8')
      .split('\n')
      .map((line) => line.split(' ')[4])
      .filter((point): point is string => point !== undefined && point !== '')
      .map((point) =>
        point.replace(/\\([0-7]{3})/g, (_m, octal: string) => String.fromCharCode(parseInt(octal, 8))),
      );
  } catch {
    return [];
  }
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function resolveHome(
  env: Record<string, string | undefined>,
  mounts: readonly string[] = readMountPoints(),
  isWritable: (dir: string) => boolean = writable,
): HomeChoice {
  if (env.HUBIFY_HOME !== undefined && env.HUBIFY_HOME !== '')
    return { home: env.HUBIFY_HOME, reason: 'HUBIFY_HOME' };
  const current = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
  if (mounts.includes(current)) return { home: current, reason: 'HOME is a mounted volume' };
  const candidates = [
    ...new Set(mounts.filter((point) => /^\/home\/[^/]+$/.test(point) && isWritable(point))),
  ];
  if (candidates.length === 1 && candidates[0] !== undefined) {
    return {
      home: candidates[0],
      reason: `a writable volume is mounted at ${candidates[0]} (HOME was ${current}); apps use it so work is kept`,
    };
  }
  return { home: current, reason: 'HOME' };
}
