/**
 * The launcher: the first page a user sees. One card per app, grouped by category, each with its
 * state in words, an "Open" link and a "Restart" button; or, with no apps, how to add some.
 */
import { html, safeImageUrl, safeUrl, type SafeHtml } from './html.ts';
import { externalIcon, inlineAppIcon } from './icons.ts';
import { postButton, renderLayout, type PageContext } from './layout.ts';

export type LauncherAppState = 'stopped' | 'starting' | 'running' | 'failed';

/** One app as the launcher shows it (already filtered to apps with `launcher.show`). */
export interface LauncherApp {
  name: string;
  title: string;
  description: string;
  /** URL of the icon (a data: URI or a path served by the runtime), or null for the default icon. */
  iconUrl: string | null;
  /** Absolute path the "Open" link goes to. */
  url: string;
  state: LauncherAppState;
  /** The sentence explaining a failure; shown when `state` is `failed`. */
  error: string | null;
  category: string;
  order: number;
  newBrowserTab: boolean;
  /** POST target of the "Restart" button. */
  restartUrl: string;
}

export interface LauncherPageData {
  serverPrefix: string;
  apps: LauncherApp[];
  xsrfToken: string;
  /** A one-off notice, e.g. "RStudio is restarting." after a restart. */
  flash?: string;
}

/** Heading for apps whose category is empty. */
const DEFAULT_CATEGORY = 'Apps';

const STATE_LABELS: Record<LauncherAppState, string> = {
  stopped: 'Stopped',
  starting: 'Starting',
  running: 'Running',
  failed: 'Failed',
};

function compareApps(a: LauncherApp, b: LauncherApp): number {
  return a.order - b.order || a.title.localeCompare(b.title, 'en') || a.name.localeCompare(b.name, 'en');
}

export interface AppGroup {
  category: string;
  apps: LauncherApp[];
}

/**
 * Groups apps by category. Apps within a group are sorted by order, then title; groups by the
 * smallest order among their apps, then by name, so the manifest's `order` also orders categories.
 */
export function groupApps(apps: readonly LauncherApp[]): AppGroup[] {
  const groups = new Map<string, LauncherApp[]>();
  for (const app of [...apps].sort(compareApps)) {
    const category = app.category.trim() === '' ? DEFAULT_CATEGORY : app.category;
    const list = groups.get(category);
    if (list) list.push(app);
    else groups.set(category, [app]);
  }
  // Apps were inserted sorted, so each group's first app carries its smallest order.
  return [...groups.entries()]
    .map(([category, list]) => ({ category, apps: list }))
    .sort(
      (a, b) =>
        (a.apps[0]?.order ?? 0) - (b.apps[0]?.order ?? 0) || a.category.localeCompare(b.category, 'en'),
    );
}

function renderIcon(app: LauncherApp): SafeHtml {
  const src = app.iconUrl === null ? null : safeImageUrl(app.iconUrl);
  if (src === null) return html`${inlineAppIcon}`;
  return html`<img class="app-icon" src="${src}" alt="" width="48" height="48" />`;
}

function renderOpenLink(app: LauncherApp): SafeHtml {
  const label = html`Open<span class="visually-hidden"> ${app.title}</span>`;
  if (app.newBrowserTab) {
    return html`<a class="btn btn-primary" href="${safeUrl(app.url)}" target="_blank" rel="noopener"
      >${label}<span class="visually-hidden"> (opens in a new tab)</span>${externalIcon}</a
    >`;
  }
  return html`<a class="btn btn-primary" href="${safeUrl(app.url)}">${label}</a>`;
}

function renderCard(app: LauncherApp, xsrfToken: string): SafeHtml {
  const description = app.description.trim() === '' ? '' : html`<p class="card-desc">${app.description}</p>`;
  const error =
    app.state === 'failed'
      ? html`<p class="card-error">${app.error ?? 'The app stopped and was not restarted.'}</p>`
      : '';
  return html`<li class="card" data-app="${app.name}" data-state="${app.state}">
    <div class="card-head">
      ${renderIcon(app)}
      <div>
        <h3 class="card-title">${app.title}</h3>
        <p class="badge badge-${app.state}">
          <span class="visually-hidden">Status: </span>${STATE_LABELS[app.state]}
        </p>
      </div>
    </div>
    ${description}${error}
    <div class="actions">
      ${renderOpenLink(app)}${postButton({
        action: app.restartUrl,
        xsrfToken,
        label: html`Restart<span class="visually-hidden"> ${app.title}</span>`,
        className: 'btn-secondary',
      })}
    </div>
  </li>`;
}

function renderGroups(apps: readonly LauncherApp[], xsrfToken: string): SafeHtml {
  return html`${groupApps(apps).map(
    (group, index) =>
      html`<section class="category" aria-labelledby="category-${index}">
        <h2 id="category-${index}">${group.category}</h2>
        <ul class="cards">
          ${group.apps.map((app) => renderCard(app, xsrfToken))}
        </ul>
      </section> `,
  )}`;
}

function renderEmpty(ctx: PageContext): SafeHtml {
  return html`<section class="empty" aria-labelledby="empty-title">
    ${inlineAppIcon}
    <h2 id="empty-title">No apps are set up yet</h2>
    <p>This server is running, but its image does not list any apps for the launcher.</p>
    <p>
      To add one, describe it in the image’s <code>hubify.yaml</code> manifest, or start
      <code class="nowrap">hubify-proxy</code> with one <code>--app NAME=COMMAND</code> option per app, for
      example:
    </p>
    <pre><code>hubify-proxy --app lab='jupyter lab --no-browser --port={port}'</code></pre>
    <p><a href="${safeUrl(ctx.hubHomeUrl)}">Back to the hub</a></p>
  </section>`;
}

/** The launcher page (HTTP 200). */
export function renderLauncher(ctx: PageContext, data: LauncherPageData): string {
  const flash =
    data.flash === undefined || data.flash === ''
      ? ''
      : html`<div class="flash" role="status">${data.flash}</div>`;
  const body = html`<div class="page-head">
      <h1>Apps</h1>
      <p>Server <code>${data.serverPrefix}</code></p>
    </div>
    ${flash} ${data.apps.length === 0 ? renderEmpty(ctx) : renderGroups(data.apps, data.xsrfToken)}`;
  return renderLayout(ctx, { title: 'Apps', body });
}
