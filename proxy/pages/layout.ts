/**
 * The frame every page shares: document head with the inline stylesheet, a header with the
 * wordmark and the signed-in user, the page's `<main>`, and a footer with the hub links, the
 * request ID (for support) and the runtime version.
 */
import { html, safeUrl, trustedHtml, type SafeHtml } from './html.ts';
import { faviconDataUri, inlineMark } from './icons.ts';
import { pageStyles } from './styles.ts';

/** What every page needs to know about the request it answers. */
export interface PageContext {
  /** The signed-in user's name, or null when unknown (e.g. before login). */
  user: string | null;
  hubHomeUrl: string;
  logoutUrl: string;
  requestId: string;
  version: string;
  /**
   * The CSP nonce of this response. Pages contain no script at all today; any script added later
   * must carry `nonce="…"` with this value (`script-src 'nonce-…'`).
   */
  nonce: string;
}

export interface LayoutOptions {
  /** Page title without the product suffix. */
  title: string;
  body: SafeHtml;
  /** Extra elements for `<head>` (e.g. a meta refresh). */
  head?: SafeHtml;
}

const STYLE = trustedHtml(pageStyles);

/** A complete HTML5 document around `options.body`. */
export function renderLayout(ctx: PageContext, options: LayoutOptions): string {
  const who = ctx.user === null ? '' : html`<p class="who">Signed in as <strong>${ctx.user}</strong></p>`;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="same-origin" />
        <meta name="robots" content="noindex, nofollow" />
        ${options.head ?? ''}
        <title>${options.title} · hubify</title>
        <link rel="icon" href="${faviconDataUri}" />
        <style>
          ${STYLE}
        </style>
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to main content</a>
        <header class="site-header">
          <div class="wrap">
            <span class="wordmark">${inlineMark}<span>hubify</span></span>
            ${who}
          </div>
        </header>
        <main id="main" tabindex="-1">
          <div class="wrap">${options.body}</div>
        </main>
        <footer class="site-footer">
          <div class="wrap">
            <nav aria-label="JupyterHub">
              <ul>
                <li><a href="${safeUrl(ctx.hubHomeUrl)}">Hub home</a></li>
                <li><a href="${safeUrl(ctx.logoutUrl)}">Log out</a></li>
              </ul>
            </nav>
            <p class="meta">Request ID <code>${ctx.requestId}</code> · hubify ${ctx.version}</p>
          </div>
        </footer>
      </body>
    </html> `.toString();
}

/** A hidden `_xsrf` field and a submit button, posting to `action`. */
export function postButton(options: {
  action: string;
  xsrfToken: string;
  label: SafeHtml | string;
  className: string;
}): SafeHtml {
  // Built in pieces so no whitespace ends up inside the button (it would widen it).
  const button = html`<button type="submit" class="btn ${options.className}">${options.label}</button>`;
  const xsrf = html`<input type="hidden" name="_xsrf" value="${options.xsrfToken}" />`;
  return html`<form class="inline" method="post" action="${safeUrl(options.action)}">${xsrf}${button}</form>`;
}

/** The centred card the single-message pages (starting, errors, denied) use. */
export function renderPanel(options: {
  symbol: SafeHtml;
  tone: 'info' | 'warn' | 'error';
  eyebrow: string;
  heading: string;
  content: SafeHtml;
  actions: SafeHtml;
  /** Shown below the actions (e.g. a log excerpt). */
  after?: SafeHtml;
  wide?: boolean;
}): SafeHtml {
  const toneClass = options.tone === 'info' ? '' : ` symbol-${options.tone}`;
  return html`<section
    class="panel${options.wide === true ? ' panel-wide' : ''}"
    aria-labelledby="page-title"
  >
    <div class="symbol-head">
      <span class="symbol${toneClass}">${options.symbol}</span>
      <p class="eyebrow">${options.eyebrow}</p>
    </div>
    <h1 id="page-title">${options.heading}</h1>
    ${options.content}
    <div class="actions">${options.actions}</div>
    ${options.after ?? ''}
  </section>`;
}
