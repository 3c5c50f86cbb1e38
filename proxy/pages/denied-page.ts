/**
 * 401/403: the person is not signed in as someone allowed to use this server. Offers the hub and,
 * when given, a way to sign in as someone else (through the hub's logout).
 */
import { html, safeUrl } from './html.ts';
import { statusSymbol } from './icons.ts';
import { renderLayout, renderPanel, type PageContext } from './layout.ts';

export interface DeniedPageData {
  status: 401 | 403;
  /** e.g. "Access denied". */
  title: string;
  /** e.g. "User bob is not allowed to access this server." */
  message: string;
  hubUrl: string;
  /** Where to sign in as a different user (typically the hub's logout), if offered. */
  loginUrl?: string;
}

/** The "not allowed" page (HTTP 401 or 403). */
export function renderDenied(ctx: PageContext, data: DeniedPageData): string {
  const switchUser =
    data.loginUrl === undefined || data.loginUrl === ''
      ? ''
      : html`<a class="btn btn-secondary" href="${safeUrl(data.loginUrl)}">Log in as a different user</a>`;
  const body = renderPanel({
    symbol: statusSymbol('lock'),
    tone: 'warn',
    eyebrow: `Error ${data.status} · ${data.status === 401 ? 'Not signed in' : 'Access denied'}`,
    heading: data.title,
    content: html`<p class="lead">${data.message}</p>
      <p class="muted">
        If you think you should have access, ask the person who shared this link or your hub’s administrators.
      </p>`,
    actions: html`<a class="btn btn-primary" href="${safeUrl(data.hubUrl)}">Go to the hub</a>${switchUser}`,
  });
  return renderLayout(ctx, { title: data.title, body });
}
