/** Any other error status (400, 404, 405, 500, …): title, message, a way back to the hub. */
import { STATUS_CODES } from 'node:http';
import { html, safeUrl } from './html.ts';
import { statusSymbol } from './icons.ts';
import { renderLayout, renderPanel, type PageContext } from './layout.ts';

export interface GenericErrorPageData {
  status: number;
  /** e.g. "Page not found". */
  title: string;
  message: string;
}

/** A plain error page for `status`. */
export function renderGenericError(ctx: PageContext, data: GenericErrorPageData): string {
  const reason = STATUS_CODES[data.status];
  const body = renderPanel({
    symbol: statusSymbol(data.status >= 500 ? 'warning' : 'info'),
    tone: data.status >= 500 ? 'error' : 'info',
    eyebrow: reason === undefined ? `Error ${data.status}` : `Error ${data.status} · ${reason}`,
    heading: data.title,
    content: html`<p class="lead">${data.message}</p>`,
    actions: html`<a class="btn btn-primary" href="${safeUrl(ctx.hubHomeUrl)}">Go to the hub home</a>`,
  });
  return renderLayout(ctx, { title: data.title, body });
}
