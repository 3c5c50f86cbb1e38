/** Where hubify keeps downloads and derived files: `$XDG_CACHE_HOME/hubify`, default `~/.cache/hubify`. */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

export function hubifyCacheDir(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative path is invalid and must be ignored.
  const base =
    xdg !== undefined && xdg !== '' && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(base, 'hubify');
}
