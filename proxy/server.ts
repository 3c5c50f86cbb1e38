/**
 * The HTTP(S) server and the order every request goes through: route (refusing unsafe paths), answer
 * the unauthenticated endpoints (health, `api`, OAuth callback, logout), authenticate, turn a URL
 * token into a cookie, refuse who is not allowed, then the launcher, the runtime's endpoints or an app.
 */
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { AuthResult } from './auth/authenticator.ts';
import { writeRawResponse } from './forward/websocket-forward.ts';
import { proxyHttp, proxyUpgrade } from './handlers/app-proxy.ts';
import {
  logout,
  oauthCallback,
  restartApp,
  sendDenied,
  sendGeneric,
  serveApiRoot,
  serveIcon,
  serveMetrics,
  serveRoot,
  statusDocument,
} from './handlers/own-endpoints.ts';
import { redirect, sendHtml, sendJson } from './handlers/responses.ts';
import { renderDenied } from './pages/index.ts';
import { readQueryToken, removeTokenParam, resolveRoute, splitTarget, type Route } from './routing.ts';
import { hubHomeUrl, isNavigation, pageContext, versionHeader, type Runtime } from './runtime-context.ts';

const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const MAX_HEADER_BYTES = 32 * 1024;

export function createRuntimeServer(runtime: Runtime): Server {
  const { config } = runtime;
  const options = {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: config.headersTimeoutMs,
    // Node checks the header deadline on this tick; keep it well below the deadline itself.
    connectionsCheckingInterval: Math.max(250, Math.min(30_000, config.headersTimeoutMs / 4)),
    // Long uploads and downloads are fine; idle sockets are not.
    requestTimeout: 0,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    handleRequest(runtime, req, res).catch((error: unknown) => internalError(runtime, res, error));
  };
  const server: Server =
    config.tls === null
      ? createHttpServer(options, handler)
      : createHttpsServer(
          {
            ...options,
            key: readFileSync(config.tls.keyFile),
            cert: readFileSync(config.tls.certFile),
            ca: readFileSync(config.tls.clientCaFile),
            // Only the hub and its proxy hold certificates from this CA bundle: everyone else is refused.
            requestCert: true,
            rejectUnauthorized: true,
          },
          handler,
        );
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    handleUpgrade(runtime, req, socket, head).catch((error: unknown) => {
      runtime.logger.error('upgrade failed', { error: (error as Error).message });
      writeRawResponse(socket, 500, 'Internal Server Error', 'hubify: internal error\n');
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'HPE_HEADER_OVERFLOW')
      writeRawResponse(socket, 431, 'Request Header Fields Too Large', 'hubify: request headers too large\n');
    else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT')
      writeRawResponse(socket, 408, 'Request Timeout', 'hubify: request headers took too long\n');
    else if (socket.writable) writeRawResponse(socket, 400, 'Bad Request', 'hubify: malformed request\n');
    else socket.destroy();
  });
  return server;
}

function internalError(runtime: Runtime, res: ServerResponse, error: unknown): void {
  runtime.logger.error('request failed', {
    error: (error as Error).message,
    stack: runtime.config.debug ? (error as Error).stack : undefined,
  });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendGeneric(
    runtime,
    res,
    null,
    500,
    'Internal error',
    'hubify hit an unexpected error. The server log has the details.',
  );
}

function route(runtime: Runtime, url: string): Route {
  return resolveRoute(url, {
    prefix: runtime.config.prefix,
    callbackPath: runtime.config.oauthCallbackPath,
    hasApp: (name) => runtime.apps.has(name),
  });
}

function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

async function handleRequest(runtime: Runtime, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { config, metrics } = runtime;
  res.setHeader('x-jupyterhub-version', versionHeader(runtime));
  const url = req.url ?? '/';
  const target = route(runtime, url);
  res.once('finish', () => metrics.requests.inc({ route: target.kind, status: statusClass(res.statusCode) }));

  // Endpoints that answer without authentication.
  switch (target.kind) {
    case 'bad-path':
      runtime.logger.warn('refused path', { reason: target.reason, path: url.slice(0, 200) });
      return sendGeneric(
        runtime,
        res,
        null,
        400,
        'Bad request',
        `This address cannot be served: ${target.reason}.`,
      );
    case 'health':
      return sendJson(res, 200, { status: 'ok' });
    case 'outside':
      return sendGeneric(runtime, res, null, 404, 'Not found', `This server lives at ${config.prefix}.`);
    case 'redirect':
      return redirect(res, target.location);
    case 'api':
      return serveApiRoot(runtime, res);
    case 'callback':
      return oauthCallback(runtime, req, res, splitTarget(url).query);
    case 'logout':
      return logout(runtime, req, res);
    default:
      break;
  }

  const { query } = splitTarget(url);
  const auth = await runtime.auth.authenticate(req, { websocket: false, queryToken: readQueryToken(query) });
  if (auth.kind === 'anonymous') return challenge(runtime, req, res, auth.reason);
  if (!auth.allowed) {
    metrics.authentications.inc({ result: 'denied' });
    runtime.logger.info('access denied', { user: auth.identity.name, path: url.split('?')[0] });
    return sendDenied(runtime, res, auth.identity);
  }
  metrics.authentications.inc({ result: 'allowed' });
  // A token in the address bar becomes a cookie, and the address loses the token (hub 4.1+ behaviour).
  if (auth.source === 'query' && isNavigation(req)) {
    const rest = removeTokenParam(query);
    // The normalised path: a raw `//host/...` target must not become a protocol-relative Location.
    const { path } = splitTarget(url);
    return redirect(res, rest === '' ? path : `${path}?${rest}`, 302, [
      runtime.auth.sessionCookie(req, auth.token),
    ]);
  }

  switch (target.kind) {
    case 'root':
      return serveRoot(runtime, req, res, auth, query);
    case 'status':
      return sendJson(res, 200, statusDocument(runtime));
    case 'metrics':
      return serveMetrics(runtime, res);
    case 'restart':
      return restartApp(runtime, req, res, auth, target.app);
    case 'icon':
      return serveIcon(runtime, res, target.app);
    case 'app': {
      const app = runtime.apps.get(target.app);
      const supervised = runtime.supervisor.get(target.app);
      if (app === undefined || supervised === undefined) break;
      return proxyHttp(runtime, req, res, { app, supervised, path: target.path, query: target.query, auth });
    }
    default:
      break;
  }
  sendGeneric(
    runtime,
    res,
    auth.identity,
    404,
    'Not found',
    `Nothing is served at this address. The launcher at ${config.prefix} lists the apps.`,
  );
}

/** No valid credentials: browsers are sent to the hub's login; API clients get 403 (never a redirect loop). */
function challenge(runtime: Runtime, req: IncomingMessage, res: ServerResponse, reason: string): void {
  runtime.metrics.authentications.inc({ result: 'anonymous' });
  const { config } = runtime;
  if (runtime.oauth !== null && isNavigation(req)) {
    // Where to return after login: the normalised path (never `//host`), without any token.
    const { path, query } = splitTarget(req.url ?? config.prefix);
    const rest = removeTokenParam(query);
    const { location, setCookie } = runtime.oauth.begin(req, rest === '' ? path : `${path}?${rest}`);
    return redirect(res, location, 302, [setCookie]);
  }
  runtime.logger.debug('unauthenticated request', { reason, path: (req.url ?? '').split('?')[0] });
  const message =
    config.mode === 'hub'
      ? 'This request has no valid JupyterHub login or token.'
      : 'This server needs its access token: open the URL with ?token= printed in the server log, or send "Authorization: token ...".';
  if (!isNavigation(req)) return sendJson(res, 403, { error: 'forbidden', message });
  const ctx = pageContext(runtime, null);
  sendHtml(
    res,
    403,
    renderDenied(ctx, { status: 403, title: 'Login required', message, hubUrl: hubHomeUrl(config) }),
    ctx.nonce,
  );
}

async function handleUpgrade(
  runtime: Runtime,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  const url = req.url ?? '/';
  const target = route(runtime, url);
  const version = { 'X-JupyterHub-Version': versionHeader(runtime) };
  if (target.kind !== 'app') {
    writeRawResponse(
      socket,
      404,
      'Not Found',
      'hubify: no app at this address accepts WebSockets\n',
      version,
    );
    return;
  }
  const auth = await runtime.auth.authenticate(req, {
    websocket: true,
    queryToken: readQueryToken(target.query),
  });
  if (auth.kind === 'anonymous' || !auth.allowed) {
    runtime.metrics.authentications.inc({ result: auth.kind === 'anonymous' ? 'anonymous' : 'denied' });
    const why =
      auth.kind === 'anonymous' ? 'no valid login or token' : `user ${auth.identity.name} is not allowed`;
    writeRawResponse(socket, 403, 'Forbidden', `hubify: WebSocket refused: ${why}\n`, version);
    return;
  }
  const app = runtime.apps.get(target.app);
  const supervised = runtime.supervisor.get(target.app);
  if (app === undefined || supervised === undefined) {
    writeRawResponse(socket, 404, 'Not Found', 'hubify: no such app\n', version);
    return;
  }
  await proxyUpgrade(runtime, req, socket, head, {
    app,
    supervised,
    path: target.path,
    query: target.query,
    auth,
  });
}

export type { AuthResult };
