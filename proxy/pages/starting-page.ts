/**
 * "Starting RStudio…": shown while an app is not ready yet. The caller answers 503 with
 * Retry-After; the page reloads itself with a meta refresh (no script) until the app answers.
 */
import { html } from './html.ts';
import { statusSymbol } from './icons.ts';
import { renderLayout, renderPanel, type PageContext } from './layout.ts';

export interface StartingPageData {
  appTitle: string;
  elapsedSeconds: number;
  timeoutSeconds: number;
  refreshSeconds: number;
}

function wholeSeconds(value: number, fallback: number): number {
  return Number.isFinite(value) && value >= 0 ? Math.round(value) : fallback;
}

function plural(count: number, unit: string): string {
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
}

/** "45 seconds", "2 minutes", "1 hour 5 minutes": rounded for people, not for logs. */
export function formatDuration(seconds: number): string {
  const s = wholeSeconds(seconds, 0);
  if (s < 90) return plural(s, 'second');
  const minutes = Math.round(s / 60);
  if (minutes < 60) return plural(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? plural(hours, 'hour') : `${plural(hours, 'hour')} ${plural(rest, 'minute')}`;
}

/** The "app is starting" page (HTTP 503; the caller sets Retry-After). */
export function renderStarting(ctx: PageContext, data: StartingPageData): string {
  const refresh = Math.max(1, wholeSeconds(data.refreshSeconds, 5));
  const elapsed = wholeSeconds(data.elapsedSeconds, 0);
  const timeout = wholeSeconds(data.timeoutSeconds, 0);
  const expectation =
    timeout > 0 && elapsed > timeout
      ? html`Started ${formatDuration(elapsed)} ago. This is taking longer than the usual limit of
        ${formatDuration(timeout)}; if it does not open soon, an error will be shown here.`
      : timeout > 0
        ? html`Started ${formatDuration(elapsed)} ago. Starting can take up to ${formatDuration(timeout)}.`
        : html`Started ${formatDuration(elapsed)} ago.`;
  const body = renderPanel({
    symbol: statusSymbol('progress'),
    tone: 'info',
    eyebrow: 'Starting',
    heading: `Starting ${data.appTitle}…`,
    content: html`<div class="progress" role="progressbar" aria-label="Starting ${data.appTitle}"></div>
      <p class="lead">
        ${data.appTitle} opens here as soon as it is ready. This page checks again every
        ${plural(refresh, 'second')}.
      </p>
      <p class="muted">${expectation}</p>`,
    actions: html`<a class="btn btn-secondary" href="">Check now</a>`,
  });
  return renderLayout(ctx, {
    title: `Starting ${data.appTitle}`,
    head: html`<meta http-equiv="refresh" content="${refresh}" /> `,
    body,
  });
}
