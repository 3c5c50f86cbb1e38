/**
 * Validated manifest (generated `Manifest` type) -> `ManifestSpec` with every default filled in, so
 * no other module guesses defaults.
 */
import type { AppSpec, ImageSpec, ListenSpec, ManifestSpec } from '../proxy/app-spec.ts';
import { APP_DEFAULTS, IMAGE_DEFAULTS } from './manifest-defaults.ts';
import type { App, Manifest, ManifestImage } from './generated/manifest.ts';

function listenOf(app: App): ListenSpec {
  if (typeof app.unixSocket === 'string') return { kind: 'unix-socket', path: app.unixSocket };
  if (app.unixSocket === true) return { kind: 'unix-socket', path: null };
  return { kind: 'port', port: app.port ?? APP_DEFAULTS.port };
}

function statusesOf(status: number | number[] | undefined): number[] {
  if (status === undefined) return [];
  return typeof status === 'number' ? [status] : [...status];
}

export function normaliseApp(app: App): AppSpec {
  const readiness = app.readiness ?? {};
  const restart = app.restart ?? {};
  const activity = app.activity ?? {};
  const launcher = app.launcher ?? {};
  return {
    name: app.name,
    title: app.title ?? app.name,
    description: app.description ?? APP_DEFAULTS.description,
    icon: app.icon ?? null,
    command: [...(app.command ?? APP_DEFAULTS.command)],
    environment: { ...(app.environment ?? APP_DEFAULTS.environment) },
    cwd: app.cwd ?? null,
    listen: listenOf(app),
    stripPrefix: app.stripPrefix ?? APP_DEFAULTS.stripPrefix,
    mappath: { ...(app.mappath ?? APP_DEFAULTS.mappath) },
    readiness: {
      path: readiness.path ?? APP_DEFAULTS.readiness.path,
      status: statusesOf(readiness.status),
      timeoutSeconds: readiness.timeout ?? APP_DEFAULTS.readiness.timeout,
    },
    start: app.start ?? APP_DEFAULTS.start,
    restart: {
      policy: restart.policy ?? APP_DEFAULTS.restart.policy,
      maxRestarts: restart.maxRestarts ?? APP_DEFAULTS.restart.maxRestarts,
      windowSeconds: restart.window ?? APP_DEFAULTS.restart.window,
      backoffSeconds: restart.backoff ?? APP_DEFAULTS.restart.backoff,
      maxBackoffSeconds: restart.maxBackoff ?? APP_DEFAULTS.restart.maxBackoff,
    },
    identityHeaders: app.identityHeaders ?? APP_DEFAULTS.identityHeaders,
    requestHeaders: { ...(app.requestHeaders ?? APP_DEFAULTS.requestHeaders) },
    requestTimeoutSeconds: app.requestTimeout ?? APP_DEFAULTS.requestTimeout,
    activity: {
      enabled: activity.enabled ?? APP_DEFAULTS.activity.enabled,
      exclude: [...(activity.exclude ?? APP_DEFAULTS.activity.exclude)],
    },
    launcher: {
      show: launcher.show ?? APP_DEFAULTS.launcher.show,
      category: launcher.category ?? APP_DEFAULTS.launcher.category,
      order: launcher.order ?? APP_DEFAULTS.launcher.order,
      pathInfo: launcher.pathInfo ?? APP_DEFAULTS.launcher.pathInfo,
      newBrowserTab: launcher.newBrowserTab ?? APP_DEFAULTS.launcher.newBrowserTab,
    },
  };
}

function normaliseImage(image: ManifestImage | undefined): ImageSpec | null {
  if (image === undefined) return null;
  return {
    entrypoint: [...(image.entrypoint ?? IMAGE_DEFAULTS.entrypoint)],
    cmd: [...(image.cmd ?? IMAGE_DEFAULTS.cmd)],
    user: image.user ?? null,
    workdir: image.workdir ?? null,
    env: { ...(image.env ?? IMAGE_DEFAULTS.env) },
  };
}

/** Fills every default; expects a manifest that passed validation (schema and rules). */
export function normaliseManifest(manifest: Manifest): ManifestSpec {
  return {
    schemaVersion: 1,
    defaultApp: manifest.defaultApp ?? null,
    image: normaliseImage(manifest.image),
    runtime: {
      activityIntervalSeconds: manifest.runtime?.activityInterval ?? null,
      logLevel: manifest.runtime?.logLevel ?? null,
    },
    apps: manifest.apps.map(normaliseApp),
  };
}
