/** 502/504: the app is running (or should be) but did not answer the proxied request. */
import { html, safeUrl } from './html.ts';
import { statusSymbol } from './icons.ts';
import { renderLayout, renderPanel, type PageContext } from './layout.ts';

export interface ProxyErrorPageData {
  status: 502 | 504;
  appTitle: string;
  /** e.g. "The connection to RStudio was refused." */
  message: string;
  launcherUrl: string;
}

/** The "app unreachable" (502) or "app too slow" (504) page. */
export function renderProxyError(ctx: PageContext, data: ProxyErrorPageData): string {
  const heading =
    data.status === 504
      ? `${data.appTitle} took too long to answer`
      : `${data.appTitle} could not be reached`;
  const body = renderPanel({
    symbol: statusSymbol('unplugged'),
    tone: 'error',
    eyebrow: `Error ${data.status} · ${data.status === 504 ? 'Gateway timeout' : 'Bad gateway'}`,
    heading,
    content: html`<p class="lead">${data.message}</p>
      <p class="muted">
        This is often temporary, for example while the app restarts. Try again in a moment, or restart it from
        the launcher.
      </p>`,
    actions: html`<a class="btn btn-primary" href="">Try again</a
      ><a class="btn btn-secondary" href="${safeUrl(data.launcherUrl)}">Back to the launcher</a>`,
  });
  return renderLayout(ctx, { title: heading, body });
}
