/**
 * The parts of a running runtime, built once at start and shared by the request handlers.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ActivityReporter, ActivityTracker } from './activity.ts';
import type { AppSpec, ManifestSpec } from './app-spec.ts';
import type { Authenticator } from './auth/authenticator.ts';
import type { OAuthLogin } from './auth/oauth-login.ts';
import type { RuntimeConfig } from './config.ts';
import type { UpstreamPools } from './forward/upstream-pools.ts';
import type { HubApi } from './hub-api.ts';
import type { IdentitySigner } from './identity.ts';
import type { Logger } from './log.ts';
import type { RuntimeMetrics } from './metrics.ts';
import type { PageContext } from './pages/index.ts';
import type { AppTarget, Supervisor } from './supervisor/index.ts';
import type { PlaceholderValues } from './app-spec.ts';

/** An app with what the hot path needs precomputed. */
export interface RoutedApp {
  spec: AppSpec;
  /** `<prefix><name>` without a trailing slash. */
  mountPath: string;
  excludeActivity: RegExp[];
}

export interface Runtime {
  config: RuntimeConfig;
  logger: Logger;
  version: string;
  manifest: ManifestSpec;
  apps: Map<string, RoutedApp>;
  hub: HubApi | null;
  auth: Authenticator;
  oauth: OAuthLogin | null;
  supervisor: Supervisor;
  activity: ActivityTracker;
  reporter: ActivityReporter | null;
  signer: IdentitySigner;
  metrics: RuntimeMetrics;
  pools: UpstreamPools;
  startedAt: Date;
  /** Placeholder values for an app at an address (for `requestHeaders` and commands). */
  placeholderValues: (spec: AppSpec, target: AppTarget) => PlaceholderValues;
}

export function routedApps(apps: AppSpec[], prefix: string): Map<string, RoutedApp> {
  const map = new Map<string, RoutedApp>();
  for (const spec of apps) {
    map.set(spec.name, {
      spec,
      mountPath: `${prefix}${spec.name}`,
      excludeActivity: spec.activity.exclude.map((pattern) => new RegExp(pattern)),
    });
  }
  return map;
}

/** The value of `X-JupyterHub-Version`: the hub's own (avoids its version-mismatch warnings). */
export function versionHeader(runtime: Runtime): string {
  return runtime.hub?.version.text ?? runtime.version;
}

export function hubHomeUrl(config: RuntimeConfig): string {
  return config.mode === 'hub' ? `${config.hubHost}${config.hubBaseUrl}hub/home` : config.prefix;
}

export function pageContext(runtime: Runtime, user: string | null): PageContext & { requestId: string } {
  const { config } = runtime;
  return {
    user,
    hubHomeUrl: hubHomeUrl(config),
    logoutUrl: `${config.prefix}logout`,
    requestId: randomBytes(6).toString('hex'),
    version: runtime.version,
    nonce: randomBytes(12).toString('base64'),
  };
}

/** A GET/HEAD that a browser makes to show a page (not fetch/XHR, not an API client). */
export function isNavigation(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const mode = req.headers['sec-fetch-mode'];
  if (typeof mode === 'string') return mode === 'navigate';
  return (req.headers.accept ?? '').includes('text/html');
}
