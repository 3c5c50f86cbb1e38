// `npm run demo`: hubify's main job, end to end, on this machine.
// 1. a local Rocker-shaped R image (R + Shiny from Debian, user rstudio) is built from Debian,
// 2. `hubify inspect` shows what it finds in it, `hubify build` makes it hub-ready,
// 3. a real JupyterHub 3.0 starts on http://127.0.0.1:8000 (or HUBIFY_DEMO_PORT) whose spawner runs
//    the built image as each user's server: log in as alice, the launcher shows the Shiny app.
// Ctrl-C stops the hub and removes every container it started.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { containerSpawnerConfig } from '../helpers/container-spawner.ts';
import { connectDocker, newTestRunId, removeContainersByLabel, TEST_RUN_LABEL } from '../helpers/docker.ts';
import { REPO_ROOT, startHub } from '../helpers/hub.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const port = Number(process.env.HUBIFY_DEMO_PORT ?? 8000);
const base = 'hubify-fixture/rocker-r:latest';
const image = 'hubify-demo/rocker-r:latest';
const cli = join(REPO_ROOT, 'dist', 'hubify.mjs');

function hubify(args: string[]): void {
  console.log(`\n$ hubify ${args.join(' ')}`);
  const result = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (result.status !== 0 && !(args[0] === 'inspect' && result.status === 1)) {
    console.error(`hubify ${args[0]} failed with exit code ${String(result.status)}`);
    process.exit(result.status ?? 1);
  }
}

console.log('Preparing the base image (built from Debian, cached after the first run)...');
await ensureFixtures(['rocker-r'], { log: (line: string) => console.log(`  ${line}`) });
hubify(['inspect', base]);
hubify(['build', base, '--tag', image]);

const runId = newTestRunId('demo');
console.log('\nStarting JupyterHub 3.0 (Debian) whose spawner runs the built image...');
const hub = await startHub({
  name: 'demo',
  publicPort: port,
  users: ['alice', 'bob'],
  adminUsers: ['alice'],
  environment: { JUPYTERHUB_ACTIVITY_INTERVAL: '30' },
  startTimeoutSeconds: 60,
  extraConfig: containerSpawnerConfig({ users: { alice: { image }, bob: { image } }, runId }),
  keepDir: false,
});
console.log(`
  JupyterHub is running at ${hub.url}/
  Log in as alice (or bob) with the password: ${hub.password}
  Your server is the image ${image}: the launcher lists its apps (the Shiny app "hello"; RStudio
  is only a layout model in this Debian-built image and shows why it cannot start).

  The same image without a hub:  docker run --network host -e HUBIFY_PORT=8888 ${image}
  (it prints http://127.0.0.1:8888/?token=...; with a bridge network use -p 8888:8888 instead)
  Hub and runtime log: ${hub.logPath}

  Press Ctrl-C to stop.
`);
let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('Stopping the hub and every server...');
  await hub.stop();
  const docker = await connectDocker();
  const removed = await removeContainersByLabel(docker, TEST_RUN_LABEL, runId);
  console.log(`Stopped cleanly${removed > 0 ? ` (removed ${removed} container(s))` : ''}.`);
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
