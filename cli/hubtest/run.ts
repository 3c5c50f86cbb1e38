/**
 * `hubify test` from start to end: detect the runtime, start the control server and the hub, open the
 * browser, run the checks in order, report, and always clean up (also on SIGINT/SIGTERM, then exit
 * 130/143). Every container carries `org.hubify.test-run=<run id>`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { connectEngine } from '../engine/connect-engine.ts';
import { ensureImage } from '../engine/pull-image.ts';
import type { CliIo } from '../output.ts';
import { launchChromium } from './browser.ts';
import { checkActivity } from './checks/activity.ts';
import { checkApp } from './checks/app-launch.ts';
import { CheckFailure, type CheckContext } from './checks/context.ts';
import { checkEndpointSecurity } from './checks/endpoint-security.ts';
import { checkStop } from './checks/stop.ts';
import { startControlServer, type ControlServer } from './control-server.ts';
import { renderHubConfig } from './hub-config.ts';
import { startHubContainer, type HubContainer } from './hub-container.ts';
import { detectRuntime } from './image-runtime.ts';
import type { CheckResult, TestReport } from './report.ts';
import { freePort, removeRunContainers, RUN_LABEL, ServerContainers } from './server-containers.ts';

export const DEFAULT_HUB_IMAGE = 'quay.io/jupyterhub/jupyterhub:5';
export const OWNER = 'hubify-owner';
export const SECOND_USER = 'hubify-other';
export const SERVICE_NAME = 'hubify-test';

export interface HubTestOptions {
  image: string;
  hubImage: string;
  useImageCmd: boolean;
  keep: boolean;
  timeoutSeconds: number;
  /** Called once the checks ran with --keep: resolves when the user wants to clean up. */
  waitForRelease?: () => Promise<void>;
}

/** Runs a check and times it; a thrown error is that check's failure. */
export async function timed(name: string, run: () => Promise<string>): Promise<CheckResult> {
  const started = Date.now();
  try {
    const detail = await run();
    return { name, status: 'pass', ms: Date.now() - started, detail };
  } catch (error) {
    const detail = error instanceof CheckFailure || error instanceof Error ? error.message : String(error);
    return {
      name,
      status: 'fail',
      ms: Date.now() - started,
      detail: detail.split('\n').slice(0, 30).join('\n'),
    };
  }
}

interface Resources {
  runId: string;
  dir: string | null;
  control: ControlServer | null;
  hub: HubContainer | null;
  browser: Browser | null;
  servers: ServerContainers | null;
}

export async function runHubTest(options: HubTestOptions, io: CliIo): Promise<TestReport> {
  const started = Date.now();
  const runId = randomBytes(6).toString('hex');
  const { docker } = await connectEngine(io.env);

  const res: Resources = { runId, dir: null, control: null, hub: null, browser: null, servers: null };
  let cleaning: Promise<void> | null = null;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      await res.browser?.close().catch(() => undefined);
      await res.servers?.removeAll().catch(() => undefined);
      await res.hub?.remove();
      await removeRunContainers(docker, runId);
      await res.control?.close().catch(() => undefined);
      if (res.dir !== null) await rm(res.dir, { recursive: true, force: true }).catch(() => undefined);
    })());
  const onSignal = (signal: NodeJS.Signals): void => {
    io.stderr(`\nhubify test: ${signal}: removing the hub and servers of run ${runId}\n`);
    void (async () => {
      await cleanup();
      // A container the engine was creating when the signal came appears only after the first sweep.
      for (let sweep = 0; sweep < 3; sweep += 1) {
        await new Promise((resolveSleep) => setTimeout(resolveSleep, 700));
        await removeRunContainers(docker, runId);
      }
    })().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  // Until --keep waits for its own Ctrl-C, a signal means: clean up, then exit 130/143.
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    // Before anything starts: an image without a hub runtime fails here (HUBIFY_NO_HUB_RUNTIME).
    const image = await ensureImage(docker, options.image, { env: io.env });
    const runtime = await detectRuntime(
      docker,
      options.image,
      image.inspect.Config.Env,
      { [RUN_LABEL]: runId },
      image.inspect.Config.Labels ?? {},
    );
    await ensureImage(docker, options.hubImage, { env: io.env });
    const secret = randomBytes(24).toString('hex');
    const password = randomBytes(12).toString('base64url');
    const serviceToken = randomBytes(24).toString('hex');
    res.servers = new ServerContainers(docker, {
      image: options.image,
      runId,
      useImageCmd: options.useImageCmd,
    });
    res.control = await startControlServer(secret, res.servers);
    const [publicPort, hubPort, proxyApiPort] = [await freePort(), await freePort(), await freePort()];
    res.dir = await mkdtemp(join(tmpdir(), 'hubify-test-'));
    await chmod(res.dir, 0o755);
    const configPath = join(res.dir, 'jupyterhub_config.py');
    await writeFile(
      configPath,
      renderHubConfig({
        publicPort,
        hubPort,
        proxyApiPort,
        controlUrl: res.control.url,
        controlSecret: secret,
        password,
        users: [OWNER, SECOND_USER],
        serviceName: SERVICE_NAME,
        serviceToken,
        timeoutSeconds: options.timeoutSeconds,
        environment: { JUPYTERHUB_ACTIVITY_INTERVAL: '2' },
      }),
      { mode: 0o644 },
    );
    res.hub = await startHubContainer(docker, {
      image: options.hubImage,
      configPath,
      publicPort,
      runId,
      timeoutMs: Math.max(60, options.timeoutSeconds) * 1000,
    });
    res.browser = await launchChromium(io.env);

    const context: CheckContext = {
      hubUrl: res.hub.url,
      owner: OWNER,
      second: SECOND_USER,
      password,
      serviceToken,
      browser: res.browser,
      servers: res.servers,
      apps: runtime.apps,
      hasHubify: runtime.hasHubify,
      timeoutMs: options.timeoutSeconds * 1000,
      prefix: `/user/${OWNER}/`,
      ownerToken: null,
    };
    const checks: CheckResult[] = [];
    const security = await timed('endpoint-security', () => checkEndpointSecurity(context));
    checks.push(security);
    const serverUp = security.status === 'pass';
    const skip = (name: string): CheckResult => ({
      name,
      status: 'skip',
      ms: 0,
      detail: 'skipped: the server did not come up (see endpoint-security)',
    });
    checks.push(serverUp ? await timed('activity', () => checkActivity(context)) : skip('activity'));
    if (runtime.apps.length === 0) {
      checks.push({
        name: 'apps',
        status: 'skip',
        ms: 0,
        detail: runtime.hasHubify
          ? 'the manifest lists no apps'
          : `no hubify manifest (${runtime.singleuser ?? ''} tested as is)`,
      });
    }
    for (const app of runtime.apps) {
      const name = `app:${app.name}`;
      checks.push(serverUp ? await timed(name, () => checkApp(context, app)) : skip(name));
    }
    if (options.waitForRelease !== undefined) {
      io.stderr(
        `\nhubify test --keep: the hub runs at ${res.hub.url}/hub/login\n` +
          `  users: ${OWNER} (server owner), ${SECOND_USER}; password: ${password}\n` +
          `  server: ${res.hub.url}${context.prefix}\n` +
          'Press Ctrl-C to stop and remove everything.\n',
      );
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      await options.waitForRelease();
      checks.push({ name: 'stop', status: 'skip', ms: 0, detail: 'skipped: --keep' });
    } else {
      checks.push(serverUp ? await timed('stop', () => checkStop(context)) : skip('stop'));
    }
    return {
      image: options.image,
      hubImage: options.hubImage,
      hubVersion: res.hub.version,
      runId,
      checks,
      totalMs: Date.now() - started,
    };
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
