/**
 * The normalised, defaults-filled form of one app and of the whole manifest, as the runtime uses it.
 * `schemas/manifest.ts` turns a validated manifest (the generated `Manifest` type) into these.
 * Every optional field of the manifest has its default here, so no other module guesses defaults.
 */
import type { LogLevel } from './log.ts';

export type StartPolicy = 'lazy' | 'eager';
export type RestartPolicy = 'on-failure' | 'always' | 'never';

export interface ReadinessSpec {
  /** Path requested on the app (relative to what the app sees, i.e. after prefix handling). */
  path: string;
  /** Accepted statuses; empty means any status below 500. */
  status: number[];
  /** Seconds to wait for readiness before the app is marked failed. */
  timeoutSeconds: number;
}

export interface RestartSpec {
  policy: RestartPolicy;
  /** Restarts allowed within `windowSeconds` before the app stays failed. */
  maxRestarts: number;
  windowSeconds: number;
  /** First backoff delay; doubles after each crash up to `maxBackoffSeconds`. */
  backoffSeconds: number;
  maxBackoffSeconds: number;
}

export interface LauncherSpec {
  show: boolean;
  category: string;
  order: number;
  /** Path below the app's URL that the launcher opens (e.g. `lab` for `/user/a/jupyter/lab`). */
  pathInfo: string;
  newBrowserTab: boolean;
}

export interface ActivitySpec {
  /** Whether traffic to this app counts as user activity. */
  enabled: boolean;
  /** Regular expressions (source text) matched against the path the app receives; matches do not count. */
  exclude: string[];
}

/** How the app is reached: a TCP port on loopback (0 = pick a free one) or a unix socket. */
export type ListenSpec = { kind: 'port'; port: number } | { kind: 'unix-socket'; path: string | null };

export interface AppSpec {
  name: string;
  title: string;
  description: string;
  /** Icon as a data: URI or an absolute file path, or null for the default icon. */
  icon: string | null;
  /** argv with placeholders; empty means "already running, just proxy to `listen`". */
  command: string[];
  environment: Record<string, string>;
  cwd: string | null;
  listen: ListenSpec;
  /** true: the app receives paths without `<prefix><name>`; false: the full path (jsp `absolute_url`). */
  stripPrefix: boolean;
  /** Exact-path rewrites applied to the path the app receives (jsp `mappath`). */
  mappath: Record<string, string>;
  readiness: ReadinessSpec;
  start: StartPolicy;
  restart: RestartSpec;
  /** Send verified identity headers and the signed identity token to this app. */
  identityHeaders: boolean;
  /** Extra request headers (values may use placeholders), like jsp `request_headers_override`. */
  requestHeaders: Record<string, string>;
  /** Seconds a proxied request may wait for the app's response headers. */
  requestTimeoutSeconds: number;
  activity: ActivitySpec;
  launcher: LauncherSpec;
}

export interface ImageSpec {
  entrypoint: string[];
  cmd: string[];
  user: string | null;
  workdir: string | null;
  env: Record<string, string>;
}

export interface RuntimeSettings {
  /** Overrides JUPYTERHUB_ACTIVITY_INTERVAL when set. */
  activityIntervalSeconds: number | null;
  logLevel: LogLevel | null;
}

export interface ManifestSpec {
  schemaVersion: 1;
  /** App the server root redirects to, or null for the launcher. */
  defaultApp: string | null;
  image: ImageSpec | null;
  runtime: RuntimeSettings;
  apps: AppSpec[];
}

/** Values the placeholders in `command`, `environment`, `cwd` and `requestHeaders` expand to. */
export interface PlaceholderValues {
  port: string;
  unix_socket: string;
  base_url: string;
  app_url: string;
  user: string;
  home: string;
}

export const PLACEHOLDER_NAMES: readonly (keyof PlaceholderValues)[] = [
  'port',
  'unix_socket',
  'base_url',
  'app_url',
  'user',
  'home',
];

/** URL segments below the server prefix that belong to the runtime and can never be app names. */
export const RESERVED_APP_NAMES: readonly string[] = [
  'api',
  'oauth_callback',
  'logout',
  '_hubify',
  'hub',
  'static',
  'metrics',
];
