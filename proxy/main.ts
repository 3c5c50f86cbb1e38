/**
 * `hubify-proxy`: the entry point. Reads the configuration, loads the manifest, learns the hub's
 * version, binds at once, supervises the apps, reports activity, and on SIGINT/SIGTERM stops every app
 * (SIGTERM, then SIGKILL after the grace period) and exits 0.
 *
 * Exit codes: 0 clean stop; 1 the hub could not be reached at start or the port could not be bound;
 * 2 invalid configuration, flags or manifest; 70 internal error.
 */
import pkg from '../package.json' with { type: 'json' };
import { loadManifestFile, parseManifestText, formatManifestIssues } from '../schemas/manifest.ts';
import { ActivityReporter, ActivityTracker } from './activity.ts';
import type { AppSpec, ManifestSpec, PlaceholderValues } from './app-spec.ts';
import { Authenticator } from './auth/authenticator.ts';
import { CookiePolicy } from './auth/cookie-policy.ts';
import { OAuthLogin } from './auth/oauth-login.ts';
import { Sealer } from './auth/sealed-value.ts';
import {
  ConfigError,
  ENVIRONMENT_VARIABLES,
  FLAGS,
  loadConfig,
  parseCommandLine,
  type RuntimeConfig,
} from './config.ts';
import { UpstreamPools } from './forward/upstream-pools.ts';
import { HubApi } from './hub-api.ts';
import { isMainModule } from './entry-point.ts';
import { resolveHome } from './home-dir.ts';
import { IdentitySigner } from './identity.ts';
import { createLogger, type Logger } from './log.ts';
import { RuntimeMetrics } from './metrics.ts';
import { routedApps, type Runtime } from './runtime-context.ts';
import { createRuntimeServer } from './server.ts';
import { Supervisor, type AppTarget } from './supervisor/index.ts';

export const EXIT = { ok: 0, hubUnreachable: 1, badConfig: 2, internal: 70 } as const;

/** Tries and waits for the start-up version probe: 1+2+4+8 s, inside the hub's 30 s http_timeout. */
const PROBE_DELAYS_MS = [1000, 2000, 4000, 8000];

export function helpText(): string {
  const pad = (rows: readonly (readonly [string, string])[]): string =>
    rows.map(([name, text]) => `  ${name.padEnd(40)} ${text}`).join('\n');
  return `hubify-proxy ${pkg.version}: the JupyterHub single-user runtime of hubify.
Serves the apps of a manifest under the server's prefix, behind JupyterHub OAuth,
and reports activity to the hub. Without hub variables it runs standalone behind a token.

Usage:
  hubify-proxy [--manifest FILE] [--app NAME=COMMAND ...] [jupyterhub-singleuser flags]

Flags:
${pad(FLAGS)}

Environment variables:
${pad(ENVIRONMENT_VARIABLES)}

Placeholders in app commands: {port} {unix_socket} {base_url} {app_url} {user} {home}

Exit codes: 0 stopped cleanly; 1 hub unreachable or port in use; 2 invalid configuration or manifest; 70 internal error.
`;
}

async function loadManifest(config: RuntimeConfig, logger: Logger): Promise<ManifestSpec | null> {
  const quick = config.quickApps.map((app) => ({ name: app.name, command: app.command }));
  let manifest: ManifestSpec = {
    schemaVersion: 1,
    defaultApp: null,
    image: null,
    runtime: { activityIntervalSeconds: null, logLevel: null },
    apps: [],
  };
  if (config.manifestPath !== null) {
    const result = await loadManifestFile(config.manifestPath);
    if (!result.ok) {
      process.stderr.write(`${formatManifestIssues(result.issues, config.manifestPath)}\n`);
      return null;
    }
    manifest = result.manifest;
    logger.info('manifest loaded', { path: config.manifestPath, apps: manifest.apps.length });
  }
  if (quick.length > 0) {
    const result = parseManifestText(JSON.stringify({ schemaVersion: 1, apps: quick }), '--app');
    if (!result.ok) {
      process.stderr.write(`${formatManifestIssues(result.issues, '--app flags')}\n`);
      return null;
    }
    const replaced = new Set(result.manifest.apps.map((app) => app.name));
    manifest = {
      ...manifest,
      apps: [...manifest.apps.filter((app) => !replaced.has(app.name)), ...result.manifest.apps],
    };
  }
  return manifest;
}

/** The environment apps inherit: ours minus the hub's credentials and settings (an app must not act as a hub client). */
function appBaseEnvironment(config: RuntimeConfig, signer: IdentitySigner, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('JUPYTERHUB_') || key === 'JPY_API_TOKEN' || key === 'HUBIFY_TOKEN') continue;
    env[key] = value;
  }
  env.HOME = home;
  env.HUBIFY_USER = config.user;
  env.HUBIFY_SERVER_PREFIX = config.prefix;
  env.HUBIFY_IDENTITY_PUBLIC_KEY = signer.publicKeyPem;
  env.HUBIFY_IDENTITY_JWKS = signer.jwks;
  return env;
}

/**
 * Facts of this server an app spec depends on: the working directory from JUPYTERHUB_ROOT_DIR when the
 * app names none, and, for apps that see full paths, the readiness path below the app's mount point
 * (`readiness.path` is always written relative to the app's URL).
 */
function withServerContext(app: AppSpec, prefix: string, rootDir: string | null): AppSpec {
  const cwd = app.cwd ?? rootDir;
  const readiness = app.stripPrefix
    ? app.readiness
    : { ...app.readiness, path: `${prefix}${app.name}${app.readiness.path}` };
  return { ...app, cwd, readiness };
}

function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? `${home}${path.slice(1)}` : path;
}

async function probeHub(hub: HubApi, logger: Logger): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      const version = await hub.probeVersion();
      logger.info('hub found', { version: version.text, api: hub.apiUrl });
      return true;
    } catch (error) {
      const delay = PROBE_DELAYS_MS[attempt];
      logger.warn('hub not reachable yet', { error: (error as Error).message, retry_in_ms: delay ?? null });
      if (delay === undefined) return false;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

export async function main(argv: string[]): Promise<number> {
  const startedAt = new Date();
  const parsed = parseCommandLine(argv);
  if (parsed.kind === 'help') {
    process.stdout.write(helpText());
    return EXIT.ok;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`${pkg.version}\n`);
    return EXIT.ok;
  }
  let config: RuntimeConfig;
  try {
    config = loadConfig(parsed.flags);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n[HUBIFY_CONFIG_INVALID]\n`);
    return EXIT.badConfig;
  }
  const logger = createLogger(config.logLevel);
  for (const flag of config.ignoredFlags)
    logger.warn('ignoring flag', { flag, reason: 'a jupyter_server option with no meaning for hubify' });

  const manifest = await loadManifest(config, logger);
  if (manifest === null) return EXIT.badConfig;
  if (manifest.runtime.logLevel !== null && config.logLevel === 'info')
    logger.level = manifest.runtime.logLevel;
  const { home, reason: homeReason } = resolveHome(process.env);
  logger.info('home', { path: home, why: homeReason });
  const rootDir = config.rootDir === null ? null : expandHome(config.rootDir, home);
  const apps: AppSpec[] = manifest.apps.map((app) => withServerContext(app, config.prefix, rootDir));

  let hub: HubApi | null = null;
  if (config.mode === 'hub' && config.apiUrl !== null) {
    hub = new HubApi({ apiUrl: config.apiUrl, apiToken: config.apiToken, tls: config.tls });
    if (!(await probeHub(hub, logger))) {
      logger.error('hub unreachable', {
        api: config.apiUrl,
        hint: 'JUPYTERHUB_API_URL must be reachable from this server (check Spawner.hub_connect_url and network policies).',
        code: 'HUBIFY_HUB_UNREACHABLE',
      });
      return EXIT.hubUnreachable;
    }
  }

  const signer = new IdentitySigner();
  const sealer = new Sealer();
  const cookies = new CookiePolicy(config);
  const auth = new Authenticator({ config, hub, sealer, cookies, logger });
  const activity = new ActivityTracker();
  const placeholderValues = (
    spec: AppSpec,
    target: AppTarget | { port: number | null; socketPath: string | null },
  ): PlaceholderValues => {
    const port = 'kind' in target ? (target.kind === 'tcp' ? target.port : null) : target.port;
    const socket = 'kind' in target ? (target.kind === 'unix' ? target.path : null) : target.socketPath;
    return {
      port: port === null ? '' : String(port),
      unix_socket: socket ?? '',
      base_url: config.prefix,
      app_url: `${config.prefix}${spec.name}/`,
      user: config.user,
      home,
    };
  };
  const supervisor = new Supervisor({
    apps,
    placeholders: (spec, listen) => placeholderValues(spec, listen),
    baseEnv: appBaseEnvironment(config, signer, home),
    logger,
    stopGraceMs: config.stopGraceMs,
  });
  const intervalSeconds = manifest.runtime.activityIntervalSeconds ?? config.activityIntervalSeconds;
  const activityUrl = config.activityUrl;
  const reporter =
    hub !== null && activityUrl !== null
      ? new ActivityReporter({
          tracker: activity,
          intervalSeconds,
          post: (last, signal) => hub.postActivity(activityUrl, config.serverName, last, signal),
          logger,
        })
      : null;

  const runtime: Runtime = {
    config,
    logger,
    version: pkg.version,
    manifest,
    apps: routedApps(apps, config.prefix),
    hub,
    auth,
    oauth: hub === null ? null : new OAuthLogin({ config, hub, auth, sealer }),
    supervisor,
    activity,
    reporter,
    signer,
    metrics: new RuntimeMetrics(),
    pools: new UpstreamPools(),
    startedAt,
    placeholderValues,
  };

  const server = createRuntimeServer(runtime);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: config.ip, port: config.port, ipv6Only: false }, () => resolve());
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    logger.error('cannot listen', {
      address: `${config.ip}:${config.port}`,
      error: code ?? (error as Error).message,
      hint: code === 'EADDRINUSE' ? 'another process uses this port; pick another with --port' : undefined,
      code: 'HUBIFY_LISTEN_FAILED',
    });
    return EXIT.hubUnreachable;
  }
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const scheme = config.tls === null ? 'http' : 'https';
  logger.info('ready', {
    url: `${scheme}://${config.ip.includes(':') ? `[${config.ip}]` : config.ip}:${port}${config.prefix}`,
    mode: config.mode,
    user: config.user,
    apps: apps.map((app) => app.name).join(',') || 'none',
    startup_ms: Date.now() - startedAt.getTime(),
  });
  if (config.mode === 'standalone') {
    const host = config.ip === '0.0.0.0' || config.ip === '::' ? '127.0.0.1' : config.ip;
    const tokenText = config.generatedToken ? config.apiToken : '<HUBIFY_TOKEN>';
    process.stderr.write(
      `\n    Open this URL to use the server:\n    ${scheme}://${host}:${port}${config.prefix}?token=${tokenText}\n\n`,
    );
  }
  reporter?.start();
  supervisor.startEager();

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        logger.warn('second signal, exiting now', { signal });
        resolve(EXIT.ok);
        return;
      }
      stopping = true;
      logger.info('stopping', { signal, grace_ms: config.stopGraceMs });
      reporter?.stop();
      server.close();
      server.closeAllConnections();
      void supervisor
        .stopAll(config.stopGraceMs)
        .catch((error: unknown) => logger.error('stopping apps failed', { error: (error as Error).message }))
        .then(() => runtime.pools.closeAll())
        .then(() => hub?.close())
        .finally(() => {
          logger.info('stopped', { uptime_s: Math.round((Date.now() - startedAt.getTime()) / 1000) });
          resolve(EXIT.ok);
        });
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `hubify-proxy: internal error: ${(error as Error).stack ?? String(error)}\n[HUBIFY_INTERNAL]\n`,
      );
      process.exit(EXIT.internal);
    },
  );
}
