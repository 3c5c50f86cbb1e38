/**
 * The app could not start or crashed too often: what happened, the last lines of its log, and a
 * way to try again. Log lines are shown as plain text (escaped, terminal colour codes removed).
 */
import { html, safeUrl } from './html.ts';
import { statusSymbol } from './icons.ts';
import { postButton, renderLayout, renderPanel, type PageContext } from './layout.ts';

export interface AppErrorPageData {
  appTitle: string;
  /** One sentence saying what went wrong, e.g. "rserver exited with code 1 three times in a minute." */
  error: string;
  logTail: string[];
  restartUrl: string;
  xsrfToken: string;
  launcherUrl: string;
}

// ANSI escape sequences (colours, cursor moves) and other control characters apart from tab.
// eslint-disable-next-line no-control-regex
const ANSI_SEQUENCE = /\u001b(?:\[[0-?]*[ -/]*[@-~]|\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|[@-Z\\-_])/g;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

/** A log line as plain text: escape sequences dropped, other control characters shown as �. */
export function cleanLogLine(line: string): string {
  return line.replace(ANSI_SEQUENCE, '').replace(/\r$/, '').replace(CONTROL_CHARACTERS, '\ufffd');
}

/** The "app failed" page (the caller picks the status, typically 502 or 503). */
export function renderAppError(ctx: PageContext, data: AppErrorPageData): string {
  const log =
    data.logTail.length === 0
      ? html`<p class="muted">The app wrote no output before it stopped.</p>`
      : html`<pre class="log" tabindex="0" aria-labelledby="log-title">
${data.logTail.map(cleanLogLine).join('\n')}</pre>`;
  const body = renderPanel({
    symbol: statusSymbol('warning'),
    tone: 'error',
    eyebrow: 'App error',
    heading: `${data.appTitle} could not start`,
    content: html`<p class="lead">${data.error}</p>
      <p class="muted">
        Restarting often helps. If it fails again, the log below usually says why; include it and the request
        ID when you ask for help.
      </p>`,
    actions: html`${postButton({
        action: data.restartUrl,
        xsrfToken: data.xsrfToken,
        label: html`Restart ${data.appTitle}`,
        className: 'btn-primary',
      })}<a class="btn btn-secondary" href="${safeUrl(data.launcherUrl)}">Back to the launcher</a>`,
    after: html`<h2 class="log-title" id="log-title">Last log lines</h2>
      ${log}`,
    wide: true,
  });
  return renderLayout(ctx, { title: `${data.appTitle} could not start`, body });
}
