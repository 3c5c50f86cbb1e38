/**
 * Check 3, app launch (one result per app): the app starts, becomes ready within its readiness
 * timeout, answers through the proxy at its path (HTTP < 500 after the starting page), and apps known
 * to use WebSockets accept an upgrade. A failing app shows its status error and the server's last log
 * lines.
 */
import { request } from 'undici';
import WebSocket from 'ws';
import { CheckFailure, sleep, type CheckContext, type ManifestApp } from './context.ts';

export type WebSocketKind = 'shiny' | 'jupyter' | 'desktop' | null;

/** Which apps are known to use WebSockets, from the manifest alone (templates leave clear traces). */
export function webSocketKind(app: ManifestApp): WebSocketKind {
  const text = [app.name, app.title ?? '', app.description ?? '', ...(app.command ?? [])]
    .join(' ')
    .toLowerCase();
  if (/shiny/.test(text)) return 'shiny';
  if (/^(notebook|jupyter|lab)/.test(app.name) || /jupyter/.test(app.title?.toLowerCase() ?? ''))
    return 'jupyter';
  if (/desktop|novnc|websockify|vnc/.test(text) || (app.readiness?.path ?? '').includes('vnc'))
    return 'desktop';
  return null;
}

/** The app's state in `<prefix>api/status`. */
interface AppStatus {
  name: string;
  state: string;
  error?: string | null;
}

export function readinessTimeoutMs(app: ManifestApp, capMs: number): number {
  const seconds = app.readiness?.timeout ?? 60;
  return Math.min(seconds * 1000, capMs) + 10_000;
}

async function appStatus(context: CheckContext, token: string, name: string): Promise<AppStatus | undefined> {
  const res = await request(`${context.hubUrl}${context.prefix}api/status`, {
    headers: { Authorization: `token ${token}` },
  });
  const text = await res.body.text();
  if (res.statusCode !== 200) return undefined;
  const parsed = JSON.parse(text) as { apps?: AppStatus[] };
  return parsed.apps?.find((app) => app.name === name);
}

/** Tries an upgrade; resolves with the HTTP status the server answered (101 on success). */
export function tryUpgrade(url: string, token: string, timeoutMs = 15_000): Promise<number> {
  return new Promise((resolve) => {
    const sep = url.includes('?') ? '&' : '?';
    const socket = new WebSocket(`${url}${sep}token=${encodeURIComponent(token)}`, {
      headers: { Authorization: `token ${token}` },
      handshakeTimeout: timeoutMs,
    });
    socket.once('upgrade', () => {
      resolve(101);
      socket.terminate();
    });
    socket.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      socket.terminate();
    });
    socket.once('error', () => resolve(0));
  });
}

/** The `_xsrf` cookie value from Set-Cookie headers, if any. */
export function xsrfCookie(setCookie: string | string[] | undefined): string | null {
  const list = setCookie === undefined ? [] : Array.isArray(setCookie) ? setCookie : [setCookie];
  for (const cookie of list) {
    const match = /^_xsrf=([^;]*)/.exec(cookie);
    if (match?.[1] !== undefined) return match[1];
  }
  return null;
}

/** Starts a kernel (with Jupyter's XSRF cookie and header) and returns its channels path. */
async function jupyterSocketPath(context: CheckContext, token: string, base: string): Promise<string> {
  const auth = { Authorization: `token ${token}` };
  const page = await request(`${context.hubUrl}${base}tree`, { headers: auth });
  await page.body.text();
  const xsrf = xsrfCookie(page.headers['set-cookie']);
  const res = await request(`${context.hubUrl}${base}api/kernels`, {
    method: 'POST',
    headers: {
      ...auth,
      'Content-Type': 'application/json',
      ...(xsrf === null ? {} : { Cookie: `_xsrf=${xsrf}`, 'X-XSRFToken': xsrf }),
    },
    body: '{}',
  });
  const text = await res.body.text();
  const id = res.statusCode < 300 ? (JSON.parse(text) as { id?: string }).id : undefined;
  if (id === undefined) throw new CheckFailure(`POST ${base}api/kernels answered HTTP ${res.statusCode}`);
  return `api/kernels/${id}/channels`;
}

async function checkWebSocket(
  context: CheckContext,
  app: ManifestApp,
  kind: WebSocketKind,
  token: string,
): Promise<string> {
  const base = `${context.prefix}${app.name}/`;
  const path =
    kind === 'shiny'
      ? 'websocket/'
      : kind === 'desktop'
        ? 'websockify'
        : await jupyterSocketPath(context, token, base);
  const wsUrl = `${context.hubUrl.replace(/^http/, 'ws')}${base}${path}`;
  const status = await tryUpgrade(wsUrl, token);
  if (status !== 101)
    throw new CheckFailure(`WebSocket ${base}${path} was not upgraded (HTTP ${status || 'no answer'})`);
  return `WebSocket ${path} upgraded`;
}

/** The server's log lines about `app` (its own output and the runtime's lines naming it). */
export function appLogLines(logs: string, app: string, count: number): string {
  const lines = logs.trimEnd().split('\n');
  const own = lines.filter((line) => line.startsWith(`[${app}]`) || line.includes(`name=${app} `));
  return (own.length > 0 ? own : lines).slice(-count).join('\n');
}

async function failureLogs(
  context: CheckContext,
  app: string,
  status: AppStatus | undefined,
): Promise<string> {
  const logs = await context.servers.logs(`${context.owner}/`);
  const lines = [];
  if (status?.error) lines.push(`status error: ${status.error}`);
  if (logs.trim() !== '') lines.push(`last log lines of ${app}:`, appLogLines(logs, app, 12));
  return lines.join('\n');
}

export async function checkApp(context: CheckContext, app: ManifestApp): Promise<string> {
  const token = context.ownerToken;
  if (token === null) throw new CheckFailure('no owner token (the endpoint-security check failed)');
  const headers = { Authorization: `token ${token}` };
  const url = `${context.hubUrl}${context.prefix}${app.name}/`;
  const started = Date.now();
  const first = await request(url, { headers });
  await first.body.text();
  const deadline = started + readinessTimeoutMs(app, context.timeoutMs);
  let status: AppStatus | undefined;
  for (;;) {
    status = await appStatus(context, token, app.name).catch(() => undefined);
    if (status?.state === 'running') break;
    if (status?.state === 'failed' || Date.now() > deadline) {
      const why =
        status?.state === 'failed'
          ? 'failed to start'
          : `was not ready within ${((Date.now() - started) / 1000).toFixed(0)} s (state ${status?.state ?? 'unknown'})`;
      throw new CheckFailure(`${app.name} ${why}\n${await failureLogs(context, app.name, status)}`.trimEnd());
    }
    await sleep(500);
  }
  const readyMs = Date.now() - started;
  const page = await request(url, { headers });
  await page.body.text();
  if (page.statusCode >= 500) {
    throw new CheckFailure(
      `${context.prefix}${app.name}/ answered HTTP ${page.statusCode} after it was ready\n${await failureLogs(context, app.name, status)}`.trimEnd(),
    );
  }
  const notes = [`ready in ${(readyMs / 1000).toFixed(1)} s, HTTP ${page.statusCode}`];
  const kind = webSocketKind(app);
  if (kind !== null) {
    try {
      notes.push(await checkWebSocket(context, app, kind, token));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new CheckFailure(
        `${notes[0]}; ${message}\n${await failureLogs(context, app.name, status)}`.trimEnd(),
      );
    }
  }
  return notes.join('; ');
}
