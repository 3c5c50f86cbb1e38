// `npm run demo`: a real JupyterHub 3.0 on http://127.0.0.1:8000 (or HUBIFY_DEMO_PORT) whose user
// servers are hubify-proxy, serving a real R Shiny app, Jupyter Notebook and the echo app. Prints the
// URL and the login, then runs until Ctrl-C, and cleans everything up.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, RUNTIME_BUNDLE, startHub } from '../helpers/hub.ts';
import { realAppsManifest } from '../helpers/real-apps.ts';

const port = Number(process.env.HUBIFY_DEMO_PORT ?? 8000);
const manifest = realAppsManifest() as { schemaVersion: 1; apps: unknown[] };
manifest.apps.push({
  name: 'echo',
  title: 'Echo',
  description: 'Shows the request headers an app receives from hubify (identity included).',
  command: [
    process.execPath,
    join(REPO_ROOT, 'test', 'fixtures', 'apps', 'echo-app.mjs'),
    '--port',
    '{port}',
  ],
  launcher: { category: 'Diagnostics' },
});
const file = join(mkdtempSync(join(tmpdir(), 'hubify-demo-')), 'manifest.json');
writeFileSync(file, JSON.stringify(manifest, null, 2));

console.log('Starting JupyterHub 3.0 (Debian) with hubify-proxy as the single-user server...');
const hub = await startHub({
  name: 'demo',
  publicPort: port,
  users: ['alice', 'bob'],
  adminUsers: ['alice'],
  cmd: [process.execPath, RUNTIME_BUNDLE],
  args: ['--manifest', file],
  environment: { JUPYTERHUB_ACTIVITY_INTERVAL: '30' },
  keepDir: false,
});
console.log(`
  JupyterHub is running at ${hub.url}/
  Log in as alice (or bob) with the password: ${hub.password}
  Your server shows the hubify launcher: Shiny demo, Jupyter Notebook, Echo.
  The app manifest used: ${file}
  Hub and runtime log: ${hub.logPath}

  Press Ctrl-C to stop.
`);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the hub and every server...');
  const result = await hub.stop();
  console.log(
    result.leftovers.length === 0
      ? 'Stopped cleanly.'
      : `Stopped; killed leftovers: ${result.leftovers.join(', ')}`,
  );
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
