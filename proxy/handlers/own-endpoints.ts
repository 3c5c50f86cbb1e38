/**
 * The runtime's own endpoints below the prefix: the launcher, `api` (readiness and version, answered
 * without authentication like jupyter_server's), `api/status`, metrics, health, app restart, app
 * icons, the OAuth callback and logout.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthResult } from '../auth/authenticator.ts';
import type { HubIdentity } from '../hub-api.ts';
import { renderDenied, renderGenericError, renderLauncher, type LauncherApp } from '../pages/index.ts';
import { hubHomeUrl, pageContext, versionHeader, type Runtime } from '../runtime-context.ts';
import { redirect, sendHtml, sendJson, sendText, wantsJson } from './responses.ts';
import { readSmallForm, xsrfTokenFor, xsrfValid } from './xsrf.ts';

type Authenticated = Extract<AuthResult, { kind: 'authenticated' }>;

export function appUrl(runtime: Runtime, name: string): string {
  return `${runtime.config.prefix}${name}/`;
}

export function statusDocument(runtime: Runtime): unknown {
  return {
    version: runtime.version,
    apps: runtime.supervisor.list().map((app) => {
      const status = app.status();
      return {
        name: status.name,
        url: appUrl(runtime, status.name),
        state: status.state,
        title: app.spec.title,
        restarts: status.restarts,
        error: status.error,
      };
    }),
    last_activity: runtime.activity.lastActivity?.toISOString() ?? null,
    hub_version: runtime.hub?.version.text ?? null,
    started: runtime.startedAt.toISOString(),
  };
}

function launcherApps(runtime: Runtime): LauncherApp[] {
  const { prefix } = runtime.config;
  const apps: LauncherApp[] = [];
  for (const supervised of runtime.supervisor.list()) {
    const spec = supervised.spec;
    if (!spec.launcher.show) continue;
    const status = supervised.status();
    let iconUrl: string | null = null;
    if (spec.icon !== null)
      iconUrl = spec.icon.startsWith('data:') ? spec.icon : `${prefix}_hubify/apps/${spec.name}/icon`;
    apps.push({
      name: spec.name,
      title: spec.title,
      description: spec.description,
      iconUrl,
      url: `${appUrl(runtime, spec.name)}${spec.launcher.pathInfo}`,
      state: status.state,
      error: status.error,
      category: spec.launcher.category,
      order: spec.launcher.order,
      newBrowserTab: spec.launcher.newBrowserTab,
      restartUrl: `${prefix}_hubify/apps/${spec.name}/restart`,
    });
  }
  return apps;
}

/** `GET <prefix>`: the default URL, the default app, or the launcher. */
export function serveRoot(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  auth: Authenticated,
  query: string,
): void {
  const { config, manifest } = runtime;
  runtime.activity.touch();
  if (config.defaultUrl !== null && config.defaultUrl !== '/' && config.defaultUrl !== '') {
    const target = config.defaultUrl.startsWith('/')
      ? `${config.prefix}${config.defaultUrl.slice(1)}`
      : `${config.prefix}${config.defaultUrl}`;
    redirect(res, target);
    return;
  }
  if (manifest.defaultApp !== null && !new URLSearchParams(query).has('launcher')) {
    redirect(res, appUrl(runtime, manifest.defaultApp));
    return;
  }
  const ctx = pageContext(runtime, auth.identity.name);
  const xsrf = xsrfTokenFor(req, runtime.auth);
  const flash = new URLSearchParams(query).get('restarted');
  const html = renderLauncher(ctx, {
    serverPrefix: config.prefix,
    apps: launcherApps(runtime),
    xsrfToken: xsrf.token,
    ...(flash !== null && runtime.apps.has(flash)
      ? { flash: `${runtime.apps.get(flash)?.spec.title ?? flash} is restarting.` }
      : {}),
  });
  sendHtml(res, 200, html, ctx.nonce, xsrf.setCookie === null ? {} : { 'set-cookie': xsrf.setCookie });
}

/** `POST <prefix>_hubify/apps/<name>/restart` (CSRF-protected unless authenticated by token header). */
export async function restartApp(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  auth: Authenticated,
  name: string,
): Promise<void> {
  if (req.method !== 'POST') {
    res.setHeader('allow', 'POST');
    sendGeneric(
      runtime,
      res,
      auth.identity,
      405,
      'Method not allowed',
      'Restart an app with the button on the launcher.',
    );
    return;
  }
  const form = await readSmallForm(req);
  if (form === null) {
    // The body was read and dropped (or is too large to be): the connection ends after this answer.
    res.setHeader('connection', 'close');
    sendGeneric(
      runtime,
      res,
      auth.identity,
      413,
      'Request too large',
      'The restart form is larger than expected.',
    );
    return;
  }
  if (auth.source !== 'header' && !xsrfValid(req, runtime.auth, form.get('_xsrf'))) {
    runtime.logger.warn('xsrf check failed', { path: req.url, user: auth.identity.name });
    sendGeneric(
      runtime,
      res,
      auth.identity,
      403,
      'Request refused',
      'The form was not sent from this server’s own page (XSRF check failed). Reload the launcher and try again.',
    );
    return;
  }
  const app = runtime.supervisor.get(name);
  if (app === undefined) return;
  runtime.activity.touch();
  runtime.logger.info('app restart requested', { app: name, user: auth.identity.name });
  const restarting = app.restart();
  restarting.catch((error: unknown) =>
    runtime.logger.warn('app restart failed', { app: name, error: (error as Error).message }),
  );
  if (wantsJson(req.headers.accept) || auth.source === 'header') {
    sendJson(res, 202, { name, state: app.status().state });
    return;
  }
  redirect(res, `${runtime.config.prefix}?launcher&restarted=${encodeURIComponent(name)}`, 303);
}

const ICON_TYPES: Record<string, string> = {
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

export async function serveIcon(runtime: Runtime, res: ServerResponse, name: string): Promise<void> {
  const icon = runtime.apps.get(name)?.spec.icon ?? null;
  const type = icon === null ? undefined : ICON_TYPES[extname(icon).toLowerCase()];
  if (icon === null || icon.startsWith('data:') || type === undefined) {
    sendText(res, 404, 'no icon\n');
    return;
  }
  try {
    const body = await readFile(icon);
    res.writeHead(200, {
      'content-type': type,
      'content-length': String(body.length),
      'cache-control': 'private, max-age=3600',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  } catch {
    sendText(res, 404, 'icon file missing\n');
  }
}

/** `GET <prefix>api`: what jupyter_server answers there; the hub 5+ readiness probe lands here. */
export function serveApiRoot(runtime: Runtime, res: ServerResponse): void {
  sendJson(res, 200, { version: versionHeader(runtime), hubify: runtime.version });
}

export async function serveMetrics(runtime: Runtime, res: ServerResponse): Promise<void> {
  const { metrics, supervisor, reporter, activity } = runtime;
  for (const app of supervisor.list()) {
    const status = app.status();
    metrics.appUp.set({ app: status.name }, status.state === 'running' ? 1 : 0);
    metrics.appRestarts.set({ app: status.name }, status.restarts);
  }
  if (reporter !== null) {
    for (const [result, count] of Object.entries(reporter.stats))
      metrics.activityReports.set({ result }, count);
  }
  metrics.lastActivity.set(activity.lastActivityMs / 1000);
  const { text, contentType } = await metrics.render();
  sendText(res, 200, text, contentType);
}

export function logout(runtime: Runtime, req: IncomingMessage, res: ServerResponse): void {
  const { config, auth } = runtime;
  const cleared = [
    auth.cookies.clear(req, auth.cookies.sessionName),
    auth.cookies.clear(req, auth.cookies.xsrfName),
  ];
  if (config.mode === 'hub') {
    redirect(res, `${config.hubHost}${config.hubBaseUrl}hub/logout`, 302, cleared);
    return;
  }
  const ctx = pageContext(runtime, null);
  const html = renderDenied(ctx, {
    status: 401,
    title: 'Logged out',
    message:
      'You are logged out of this server. Open the URL with the access token (printed in the server log) to log in again.',
    hubUrl: config.prefix,
  });
  sendHtml(res, 200, html, ctx.nonce, { 'set-cookie': cleared });
}

export async function oauthCallback(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  query: string,
): Promise<void> {
  if (runtime.oauth === null) {
    sendGeneric(
      runtime,
      res,
      null,
      404,
      'Not found',
      'This server runs without a hub; there is no OAuth callback.',
    );
    return;
  }
  const outcome = await runtime.oauth.complete(req, new URLSearchParams(query));
  const ctx = pageContext(runtime, null);
  switch (outcome.kind) {
    case 'redirect':
      runtime.logger.info('login', { via: 'oauth' });
      redirect(res, outcome.location, 302, outcome.setCookies);
      return;
    case 'denied':
      runtime.metrics.authentications.inc({ result: 'denied' });
      sendDenied(runtime, res, outcome.identity, outcome.setCookies);
      return;
    case 'error':
      runtime.logger.warn('oauth callback failed', { status: outcome.status, reason: outcome.message });
      sendHtml(
        res,
        outcome.status,
        renderGenericError(ctx, { status: outcome.status, title: 'Login failed', message: outcome.message }),
        ctx.nonce,
        { 'set-cookie': outcome.setCookies },
      );
      return;
  }
}

export function sendDenied(
  runtime: Runtime,
  res: ServerResponse,
  identity: HubIdentity,
  setCookies: string[] = [],
): void {
  const ctx = pageContext(runtime, identity.name);
  const message = `${identity.kind === 'service' ? 'Service' : 'User'} ${identity.name} is not allowed to access this server of ${runtime.config.user}.`;
  if (wantsJson(res.req.headers.accept) || res.req.method !== 'GET') {
    sendJson(
      res,
      403,
      { error: 'forbidden', message },
      setCookies.length > 0 ? { 'set-cookie': setCookies } : {},
    );
    return;
  }
  const html = renderDenied(ctx, {
    status: 403,
    title: 'Access denied',
    message,
    hubUrl: hubHomeUrl(runtime.config),
    loginUrl: `${runtime.config.hubHost}${runtime.config.hubBaseUrl}hub/logout`,
  });
  sendHtml(res, 403, html, ctx.nonce, setCookies.length > 0 ? { 'set-cookie': setCookies } : {});
}

export function sendGeneric(
  runtime: Runtime,
  res: ServerResponse,
  identity: HubIdentity | null,
  status: number,
  title: string,
  message: string,
): void {
  if (wantsJson(res.req.headers.accept)) {
    sendJson(res, status, { error: title, message });
    return;
  }
  const ctx = pageContext(runtime, identity?.name ?? null);
  sendHtml(res, status, renderGenericError(ctx, { status, title, message }), ctx.nonce);
}
