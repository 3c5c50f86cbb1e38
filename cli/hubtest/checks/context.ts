/** What every check gets: the hub, the users, the browser, the server containers, the image's apps. */
import type { Browser } from 'playwright-core';
import { request } from 'undici';
import type { ServerContainers } from '../server-containers.ts';

export interface ManifestApp {
  name: string;
  title?: string;
  description?: string;
  command?: string[];
  stripPrefix?: boolean;
  readiness?: { path?: string; timeout?: number; status?: number };
}

export interface CheckContext {
  /** Public URL of the hub, no trailing slash. */
  hubUrl: string;
  owner: string;
  second: string;
  password: string;
  serviceToken: string;
  browser: Browser;
  servers: ServerContainers;
  /** Apps of /opt/hubify/manifest.json; empty for an image without hubify. */
  apps: ManifestApp[];
  /** The image carries the hubify runtime (it answers `<prefix>api/status`). */
  hasHubify: boolean;
  /** Seconds from --timeout. */
  timeoutMs: number;
  /** The owner's server prefix, `/user/<owner>/`. */
  prefix: string;
  /** A token of the owner, made by the endpoint-security check. */
  ownerToken: string | null;
}

export class CheckFailure extends Error {
  override readonly name = 'CheckFailure';
}

export interface HubApiAnswer<T> {
  status: number;
  body: T | undefined;
  text: string;
}

export async function hubApi<T = unknown>(
  context: Pick<CheckContext, 'hubUrl' | 'serviceToken'>,
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<HubApiAnswer<T>> {
  const res = await request(`${context.hubUrl}/hub/api${path}`, {
    method,
    headers: {
      Authorization: `token ${context.serviceToken}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  const text = await res.body.text();
  let parsed: T | undefined;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as T);
  } catch {
    parsed = undefined;
  }
  return { status: res.statusCode, body: parsed, text };
}

export interface ServerModel {
  ready?: boolean;
  pending?: string | null;
  last_activity?: string | null;
}

/** The owner's default server as the hub sees it, or undefined when it has none. */
export async function ownerServer(context: CheckContext): Promise<ServerModel | undefined> {
  const res = await hubApi<{ servers?: Record<string, ServerModel> }>(
    context,
    'GET',
    `/users/${encodeURIComponent(context.owner)}`,
  );
  if (res.status !== 200)
    throw new CheckFailure(`GET /hub/api/users/${context.owner} answered ${res.status}`);
  return res.body?.servers?.[''];
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** The last `count` lines of a text. */
export function tail(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
