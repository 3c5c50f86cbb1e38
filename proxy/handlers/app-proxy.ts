/**
 * Requests for `<prefix><app>/...` from an allowed user: start the app if needed (a "starting" page
 * for browsers, a wait for API clients), count activity, pass the verified identity, forward HTTP or
 * the WebSocket tunnel, and turn failures into pages that say what happened.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { countsAsActivity } from '../activity.ts';
import type { AuthResult } from '../auth/authenticator.ts';
import { forwardHttp, ForwardError } from '../forward/http-forward.ts';
import { buildUpstreamHeaders } from '../forward/request-headers.ts';
import { targetOrigins } from '../forward/upstream-pools.ts';
import { forwardUpgrade, writeRawResponse } from '../forward/websocket-forward.ts';
import { lastListValue, requestIsHttps } from '../auth/cookie-policy.ts';
import type { HubIdentity } from '../hub-api.ts';
import { identityHeaderValues } from '../identity.ts';
import { renderAppError, renderProxyError, renderStarting } from '../pages/index.ts';
import { removeTokenParam } from '../routing.ts';
import { isNavigation, pageContext, type RoutedApp, type Runtime } from '../runtime-context.ts';
import { AppStartError, type AppTarget, type SupervisedApp } from '../supervisor/index.ts';
import { expandPlaceholders } from '../supervisor/index.ts';
import { sendHtml, sendJson, wantsJson } from './responses.ts';
import { xsrfTokenFor } from './xsrf.ts';

type Authenticated = Extract<AuthResult, { kind: 'authenticated' }>;

/** How long a browser waits on the first request before it is shown the "starting" page instead. */
const QUICK_START_WAIT_MS = 1500;
const STARTING_REFRESH_SECONDS = 2;

export interface AppRequest {
  app: RoutedApp;
  supervised: SupervisedApp;
  /** Path below the mount point (starts with `/`), as routed. */
  path: string;
  query: string;
  auth: Authenticated;
}

function upstreamPath(request: AppRequest, prefix: string): string {
  const { spec } = request.app;
  let path = spec.stripPrefix ? request.path : `${prefix}${spec.name}${request.path}`;
  const mapped = spec.mappath[path];
  if (mapped !== undefined) path = mapped;
  // `token` is the runtime's credential; it never reaches an app, whoever it was meant for.
  const query = removeTokenParam(request.query);
  return query === '' ? path : `${path}?${query}`;
}

function clientAddress(req: IncomingMessage): string {
  return lastListValue(req.headers['x-forwarded-for']) ?? req.socket.remoteAddress ?? '';
}

async function upstreamHeaders(
  runtime: Runtime,
  req: IncomingMessage,
  request: AppRequest,
  websocket: boolean,
  target: AppTarget,
) {
  const { spec } = request.app;
  const identity: HubIdentity = request.auth.identity;
  let identityHeaders: Record<string, string> = {};
  if (spec.identityHeaders) {
    identityHeaders = identityHeaderValues(identity, runtime.config.user);
    identityHeaders['x-hubify-identity'] = await runtime.signer.token(
      identity,
      runtime.config.user,
      spec.name,
    );
  }
  const extra: Record<string, string> = {};
  const values = runtime.placeholderValues(spec, target);
  for (const [name, value] of Object.entries(spec.requestHeaders))
    extra[name] = expandPlaceholders(value, values);
  return buildUpstreamHeaders(req.headers, {
    clientAddress: clientAddress(req),
    proto: requestIsHttps(req, runtime.config) ? 'https' : 'http',
    host: req.headers.host,
    mountPath: request.app.mountPath,
    websocket,
    dropTokenAuthorization: true,
    isPrivateCookie: (name) => runtime.auth.cookies.isPrivate(name),
    identity: identityHeaders,
    extra,
  });
}

function runningTarget(app: SupervisedApp): AppTarget | null {
  const status = app.status();
  return status.state === 'running' ? status.target : null;
}

function sendAppFailed(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  request: AppRequest,
  error: string,
): void {
  const { spec } = request.app;
  if (!isNavigation(req) || wantsJson(req.headers.accept)) {
    sendJson(res, 503, { error: 'app_failed', app: spec.name, message: error });
    return;
  }
  const ctx = pageContext(runtime, request.auth.identity.name);
  const xsrf = xsrfTokenFor(req, runtime.auth);
  const html = renderAppError(ctx, {
    appTitle: spec.title,
    error,
    logTail: request.supervised.logTail(40),
    restartUrl: `${runtime.config.prefix}_hubify/apps/${spec.name}/restart`,
    xsrfToken: xsrf.token,
    launcherUrl: runtime.config.prefix,
  });
  sendHtml(res, 503, html, ctx.nonce, xsrf.setCookie === null ? {} : { 'set-cookie': xsrf.setCookie });
}

/** A running app's address, starting it when needed; null when a response has already been sent. */
async function reachApp(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  request: AppRequest,
): Promise<AppTarget | null> {
  const running = runningTarget(request.supervised);
  if (running !== null) return running;
  const status = request.supervised.status();
  if (status.state === 'failed') {
    sendAppFailed(runtime, req, res, request, status.error ?? `${request.app.spec.title} failed.`);
    return null;
  }
  const starting = request.supervised.ensureRunning();
  starting.catch(() => undefined); // failures are shown from the app's status
  const navigation = isNavigation(req);
  try {
    if (!navigation) return await starting;
    const quick = await Promise.race([
      starting,
      new Promise<null>((resolve) => setTimeout(() => resolve(null), QUICK_START_WAIT_MS)),
    ]);
    if (quick !== null) return quick;
  } catch (error) {
    const message = error instanceof AppStartError ? error.message : (error as Error).message;
    sendAppFailed(runtime, req, res, request, message);
    return null;
  }
  const now = request.supervised.status();
  const ctx = pageContext(runtime, request.auth.identity.name);
  const elapsed = now.startedAt === null ? 0 : (Date.now() - now.startedAt.getTime()) / 1000;
  const html = renderStarting(ctx, {
    appTitle: request.app.spec.title,
    elapsedSeconds: Math.round(elapsed),
    timeoutSeconds: request.app.spec.readiness.timeoutSeconds,
    refreshSeconds: STARTING_REFRESH_SECONDS,
  });
  sendHtml(res, 503, html, ctx.nonce, { 'retry-after': String(STARTING_REFRESH_SECONDS) });
  return null;
}

export async function proxyHttp(
  runtime: Runtime,
  req: IncomingMessage,
  res: ServerResponse,
  request: AppRequest,
): Promise<void> {
  const { spec } = request.app;
  if (countsAsActivity(request.path, spec.activity.enabled, request.app.excludeActivity))
    runtime.activity.touch();
  const target = await reachApp(runtime, req, res, request);
  if (target === null) return;
  const headers = await upstreamHeaders(runtime, req, request, false, target);
  try {
    await forwardHttp(req, res, {
      pool: runtime.pools.get(target),
      path: upstreamPath(request, runtime.config.prefix),
      headers,
      timeoutMs: spec.requestTimeoutSeconds * 1000,
      rewrite: {
        mountPath: request.app.mountPath,
        stripPrefix: spec.stripPrefix,
        upstreamOrigins: targetOrigins(target),
      },
    });
  } catch (error) {
    if (!(error instanceof ForwardError)) throw error;
    if (error.failure === 'aborted') return;
    runtime.metrics.proxyErrors.inc({ app: spec.name, reason: error.failure });
    runtime.logger.warn('proxy error', { app: spec.name, code: error.code, path: request.path });
    const status = error.failure === 'timeout' ? 504 : 502;
    const message =
      status === 504
        ? `${spec.title} did not answer within ${spec.requestTimeoutSeconds} s.`
        : `${spec.title} is not answering (${error.code}). It may have stopped; it is restarted automatically when it crashes.`;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (!isNavigation(req) || wantsJson(req.headers.accept)) {
      sendJson(res, status, { error: error.failure, app: spec.name, message });
      return;
    }
    const ctx = pageContext(runtime, request.auth.identity.name);
    sendHtml(
      res,
      status,
      renderProxyError(ctx, { status, appTitle: spec.title, message, launcherUrl: runtime.config.prefix }),
      ctx.nonce,
    );
  }
}

export async function proxyUpgrade(
  runtime: Runtime,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  request: AppRequest,
): Promise<void> {
  const { spec } = request.app;
  let target = runningTarget(request.supervised);
  if (target === null) {
    try {
      target = await request.supervised.ensureRunning();
    } catch (error) {
      writeRawResponse(socket, 503, 'Service Unavailable', `hubify: ${(error as Error).message}\n`);
      return;
    }
  }
  const counts = countsAsActivity(request.path, spec.activity.enabled, request.app.excludeActivity);
  const activity = runtime.activity;
  if (counts) activity.touch();
  const headers = await upstreamHeaders(runtime, req, request, true, target);
  runtime.metrics.websockets.inc();
  forwardUpgrade(req, socket, head, {
    target,
    path: upstreamPath(request, runtime.config.prefix),
    headers,
    onTraffic: counts ? () => activity.touch() : () => undefined,
    onClose: () => runtime.metrics.websockets.dec(),
    connectTimeoutMs: 10_000,
  });
}
