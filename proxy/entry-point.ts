/**
 * Whether the module at `moduleUrl` is the script Node was started with (also through a symlink, as
 * npm's `bin` links are), so an entry module can be imported by tests without running.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
