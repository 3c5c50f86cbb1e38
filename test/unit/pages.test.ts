import { describe, expect, it } from 'vitest';
import {
  escapeHtml,
  renderAppError,
  renderDenied,
  renderGenericError,
  renderLauncher,
  renderProxyError,
  renderStarting,
  type LauncherApp,
  type PageContext,
} from '../../proxy/pages/index.ts';
import {
  sampleAppError,
  sampleApps,
  sampleContext,
  sampleDenied,
  sampleEmptyLauncher,
  sampleGenericError,
  sampleLauncher,
  sampleProxyError,
  sampleStarting,
} from '../fixtures/pages/samples.ts';

/** Every page with the sample data, by name. */
function samplePages(ctx: PageContext = sampleContext): Record<string, string> {
  return {
    launcher: renderLauncher(ctx, sampleLauncher),
    'launcher-empty': renderLauncher(ctx, sampleEmptyLauncher),
    starting: renderStarting(ctx, sampleStarting),
    'app-error': renderAppError(ctx, sampleAppError),
    denied: renderDenied(ctx, sampleDenied),
    'proxy-error': renderProxyError(ctx, sampleProxyError),
    'generic-error': renderGenericError(ctx, sampleGenericError),
  };
}

/** The page with runs of whitespace collapsed, as a browser shows it. */
function collapsed(page: string): string {
  return page.replace(/\s+/g, ' ');
}

function regexEscape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const ENTITY = /^&(?:[a-z]+|#[0-9]+|#x[0-9a-f]+);/i;
const TAG = /<\/?([a-z][a-z0-9-]*)((?:\s+[a-z][a-z0-9:_-]*(?:="[^"<>]*")?)*)\s*\/?>/iy;
const ATTRIBUTE = /\s+([a-z][a-z0-9:_-]*)(?:="([^"]*)")?/giy;

function badAmpersands(text: string): boolean {
  return [...text.matchAll(/&/g)].some((m) => !ENTITY.test(text.slice(m.index)));
}

/**
 * A strict scan of the markup the pages emit: every tag well formed with double-quoted attributes,
 * no raw `>` or stray `&` in text or attribute values, no comments. Returns the problems found.
 */
function markupProblems(page: string): string[] {
  const problems: string[] = [];
  let at = 0;
  if (!page.startsWith('<!doctype html>')) problems.push('no doctype first');
  else at = '<!doctype html>'.length;
  while (at < page.length) {
    const lt = page.indexOf('<', at);
    const text = page.slice(at, lt === -1 ? page.length : lt);
    if (text.includes('>')) problems.push(`raw ">" in text: ${text.slice(0, 60)}`);
    if (badAmpersands(text)) problems.push(`stray "&" in text: ${text.slice(0, 60)}`);
    if (lt === -1) break;
    TAG.lastIndex = lt;
    const tag = TAG.exec(page);
    if (tag === null) {
      problems.push(`broken tag: ${page.slice(lt, lt + 80)}`);
      at = lt + 1;
      continue;
    }
    const [whole, name = '', attributes = ''] = tag;
    ATTRIBUTE.lastIndex = 0;
    for (const attribute of attributes.matchAll(ATTRIBUTE)) {
      const value = attribute[2] ?? '';
      if (badAmpersands(value)) problems.push(`stray "&" in ${name} ${attribute[1]}="${value}"`);
    }
    at = lt + whole.length;
    if (name.toLowerCase() === 'style' && !whole.startsWith('</')) {
      const end = page.indexOf('</style>', at);
      if (end === -1) problems.push('unclosed style');
      at = end === -1 ? page.length : end;
    }
  }
  return problems;
}

describe('the markup scan used below', () => {
  it('finds broken attributes, raw characters and stray ampersands', () => {
    expect(markupProblems('<!doctype html><p class="a">ok &amp; fine</p>')).toEqual([]);
    expect(markupProblems('<!doctype html><p class="a"b">x</p>')).not.toEqual([]);
    expect(markupProblems("<!doctype html><p title='x'>x</p>")).not.toEqual([]);
    expect(markupProblems('<!doctype html><p>a > b</p>')).not.toEqual([]);
    expect(markupProblems('<!doctype html><p>a & b</p>')).not.toEqual([]);
    expect(markupProblems('<!doctype html><a href="?a=1&b=2">x</a>')).not.toEqual([]);
  });
});

describe('every page', () => {
  const pages = samplePages();

  it.each(Object.keys(pages))('%s is a complete, well-formed document with the shared frame', (name) => {
    const page = pages[name] ?? '';
    expect(markupProblems(page)).toEqual([]);
    expect(page).toMatch(/^<!doctype html>\s*<html lang="en">/);
    expect(page).toMatch(/<meta charset="utf-8"/);
    expect(page).toMatch(/<meta name="viewport" content="width=device-width, initial-scale=1"/);
    expect(page).toMatch(/<title>[^<]+ · hubify<\/title>/);
    expect(page.match(/<header[\s>]/g)).toHaveLength(1);
    expect(page.match(/<main[\s>]/g)).toHaveLength(1);
    expect(page.match(/<footer[\s>]/g)).toHaveLength(1);
    expect(page.match(/<style>/g)).toHaveLength(1);
    expect(page).toContain('prefers-color-scheme:dark');
    expect(page).toContain(':focus-visible');
    expect(page).toContain('hubify</span>');
    expect(page).toContain('Request ID <code>req-7f3a9c2e1b</code>');
    expect(page).toContain('hubify 0.1.0');
    expect(page).toContain('<a href="/hub/home">Hub home</a>');
    expect(page).toContain('<a href="/hub/logout">Log out</a>');
    expect(page).toContain('Signed in as <strong>alice</strong>');
    expect(page).toMatch(/<\/html>\s*$/);
  });

  it.each(Object.keys(pages))('%s needs nothing from the network and runs no script', (name) => {
    const page = pages[name] ?? '';
    expect(page).not.toMatch(/https?:\/\//i);
    expect(page).not.toMatch(/(?:src|href|action)="\/\//i);
    expect(page).not.toMatch(/<script|<link rel="stylesheet"|@import|url\(/i);
    expect(page).not.toMatch(/\son[a-z]+="/i);
    // The favicon is inline so the browser does not ask for /favicon.ico.
    expect(page).toMatch(/<link rel="icon" href="data:image\/svg\+xml,/);
  });

  it('shows no user name when the user is unknown', () => {
    for (const page of Object.values(samplePages({ ...sampleContext, user: null }))) {
      expect(page).not.toContain('Signed in as');
      expect(page).toContain('<a href="/hub/logout">Log out</a>');
    }
  });
});

describe('escaping', () => {
  const EVIL = `<script>alert(1)</script>"'&`;
  const ESCAPED = '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;';
  const evilContext: PageContext = {
    user: EVIL,
    hubHomeUrl: EVIL,
    logoutUrl: EVIL,
    requestId: EVIL,
    version: EVIL,
    nonce: EVIL,
  };
  const evilApp: LauncherApp = {
    name: EVIL,
    title: EVIL,
    description: EVIL,
    iconUrl: EVIL,
    url: EVIL,
    state: 'failed',
    error: EVIL,
    category: EVIL,
    order: 1,
    newBrowserTab: true,
    restartUrl: EVIL,
  };
  const pages: Record<string, string> = {
    launcher: renderLauncher(evilContext, {
      serverPrefix: EVIL,
      apps: [evilApp, { ...evilApp, newBrowserTab: false, iconUrl: null }],
      xsrfToken: EVIL,
      flash: EVIL,
    }),
    'launcher-empty': renderLauncher(evilContext, {
      serverPrefix: EVIL,
      apps: [],
      xsrfToken: EVIL,
      flash: EVIL,
    }),
    starting: renderStarting(evilContext, {
      appTitle: EVIL,
      elapsedSeconds: 3,
      timeoutSeconds: 60,
      refreshSeconds: 2,
    }),
    'app-error': renderAppError(evilContext, {
      appTitle: EVIL,
      error: EVIL,
      logTail: [EVIL, EVIL],
      restartUrl: EVIL,
      xsrfToken: EVIL,
      launcherUrl: EVIL,
    }),
    denied: renderDenied(evilContext, {
      status: 403,
      title: EVIL,
      message: EVIL,
      hubUrl: EVIL,
      loginUrl: EVIL,
    }),
    'proxy-error': renderProxyError(evilContext, {
      status: 504,
      appTitle: EVIL,
      message: EVIL,
      launcherUrl: EVIL,
    }),
    'generic-error': renderGenericError(evilContext, { status: 400, title: EVIL, message: EVIL }),
  };

  it.each(Object.keys(pages))('%s escapes every interpolated value', (name) => {
    const page = pages[name] ?? '';
    expect(page).not.toContain('<script');
    expect(page).not.toContain(EVIL);
    expect(page).not.toContain(`"'`);
    expect(markupProblems(page)).toEqual([]);
    // Context fields: header, footer links, request ID, version.
    expect(page).toContain(`Signed in as <strong>${ESCAPED}</strong>`);
    expect(page).toContain(`<a href="${ESCAPED}">Hub home</a>`);
    expect(page).toContain(`<a href="${ESCAPED}">Log out</a>`);
    expect(page).toContain(`Request ID <code>${ESCAPED}</code> · hubify ${ESCAPED}`);
    // The raw nonce is never emitted (there is no script to carry it).
    expect(page).not.toContain('nonce=');
  });

  it('escapes the launcher fields into content and attributes', () => {
    const page = pages.launcher ?? '';
    expect(page).toContain(`<code>${ESCAPED}</code>`); // server prefix
    expect(page).toContain(`<div class="flash" role="status">${ESCAPED}</div>`);
    expect(page).toContain(`<h2 id="category-0">${ESCAPED}</h2>`);
    expect(page).toContain(`<h3 class="card-title">${ESCAPED}</h3>`);
    expect(page).toContain(`<p class="card-desc">${ESCAPED}</p>`);
    expect(page).toContain(`<p class="card-error">${ESCAPED}</p>`);
    expect(page).toContain(`data-app="${ESCAPED}"`);
    expect(page).toContain(`src="${ESCAPED}"`);
    expect(page).toContain(`href="${ESCAPED}" target="_blank" rel="noopener"`);
    expect(page).toContain(`action="${ESCAPED}"`);
    expect(page).toContain(`name="_xsrf" value="${ESCAPED}"`);
  });

  it('escapes the title, heading and log lines of the app error page', () => {
    const page = pages['app-error'] ?? '';
    expect(page).toContain(`<title>${ESCAPED} could not start · hubify</title>`);
    expect(page).toMatch(
      new RegExp(`<pre class="log"[^>]*>\\s*${regexEscape(ESCAPED)}\\n${regexEscape(ESCAPED)}</pre>`),
    );
  });

  it('turns script and data URLs into harmless ones', () => {
    const ctx = { ...sampleContext, hubHomeUrl: 'javascript:alert(1)', logoutUrl: ' JaVa\tScRiPt:alert(1)' };
    const launcher = renderLauncher(ctx, {
      ...sampleLauncher,
      apps: [
        {
          ...sampleApps[0]!,
          url: 'data:text/html,<script>alert(1)</script>',
          restartUrl: 'vbscript:x',
          iconUrl: 'javascript:alert(1)',
        },
      ],
    });
    expect(launcher).not.toMatch(/javascript:|vbscript:|data:text/i);
    expect(launcher).toContain('<a href="#">Hub home</a>');
    expect(launcher).toContain('<a href="#">Log out</a>');
    expect(launcher).toContain('action="#"');
    expect(launcher).not.toContain('<img'); // the bad icon falls back to the inline default
    const denied = renderDenied(ctx, { ...sampleDenied, hubUrl: 'javascript:alert(1)' });
    expect(denied).not.toMatch(/javascript:/i);
    expect(renderLauncher(sampleContext, sampleLauncher)).toContain('src="data:image/svg+xml,');
  });

  it('escapeHtml escapes the five special characters and nothing else', () => {
    expect(escapeHtml(`a<b>c"d'e&f ü`)).toBe('a&lt;b&gt;c&quot;d&#39;e&amp;f ü');
    expect(escapeHtml('&amp;')).toBe('&amp;amp;');
  });
});

/** The cards of a launcher page in document order, with the category they sit under. */
function cards(page: string): { category: string; title: string; state: string; card: string }[] {
  const result: { category: string; title: string; state: string; card: string }[] = [];
  for (const section of page.split('<section class="category"').slice(1)) {
    const category = /<h2 id="category-\d+">([^<]*)<\/h2>/.exec(section)?.[1] ?? '?';
    for (const card of section.split('<li class="card"').slice(1)) {
      const title = /<h3 class="card-title">([^<]*)<\/h3>/.exec(card)?.[1] ?? '?';
      const state = /<p class="badge[^"]*">\s*<span class="visually-hidden">Status: <\/span>(\w+)/.exec(
        card,
      )?.[1];
      result.push({ category, title, state: state ?? '?', card });
    }
  }
  return result;
}

describe('renderLauncher', () => {
  const page = renderLauncher(sampleContext, sampleLauncher);

  it('groups apps by category and sorts by order, then title', () => {
    expect(cards(page).map((c) => [c.category, c.title])).toEqual([
      ['Notebooks and IDEs', 'JupyterLab'],
      ['Notebooks and IDEs', 'RStudio'],
      ['Notebooks and IDEs', 'VS Code'],
      ['Dashboards', 'Sales dashboard'],
      ['Dashboards', 'Shiny Server'],
      ['Desktop', 'Linux desktop'],
    ]);
  });

  it('puts apps without a category under "Apps" and orders categories by their first app', () => {
    const apps = [
      { ...sampleApps[0]!, category: 'Zeta', order: 1, title: 'B' },
      { ...sampleApps[1]!, category: '', order: 5, title: 'A' },
      { ...sampleApps[2]!, category: 'Alpha', order: 5, title: 'C' },
    ];
    const grouped = cards(renderLauncher(sampleContext, { ...sampleLauncher, apps }));
    expect(grouped.map((c) => [c.category, c.title])).toEqual([
      ['Zeta', 'B'],
      ['Alpha', 'C'],
      ['Apps', 'A'],
    ]);
  });

  it('does not reorder the caller’s array', () => {
    const before = sampleApps.map((a) => a.name);
    renderLauncher(sampleContext, sampleLauncher);
    expect(sampleApps.map((a) => a.name)).toEqual(before);
  });

  it('states each app’s state in words', () => {
    expect(Object.fromEntries(cards(page).map((c) => [c.title, c.state]))).toEqual({
      JupyterLab: 'Running',
      RStudio: 'Starting',
      'VS Code': 'Failed',
      'Sales dashboard': 'Running',
      'Shiny Server': 'Stopped',
      'Linux desktop': 'Stopped',
    });
  });

  it('shows the error sentence only on failed apps', () => {
    for (const c of cards(page)) {
      expect(c.card.includes('class="card-error"')).toBe(c.state === 'Failed');
    }
    const vscode = cards(page).find((c) => c.title === 'VS Code');
    expect(vscode?.card).toContain('code-server exited with code 1 three times within 60 seconds');
  });

  it('gives every card an Open link and a Restart form with the _xsrf token', () => {
    for (const app of sampleApps) {
      const card = cards(page).find((c) => c.title === app.title)?.card ?? '';
      expect(card).toMatch(new RegExp(`<a class="btn btn-primary" href="${app.url}"[^>]*>Open`));
      expect(card).toContain(
        `<form class="inline" method="post" action="${app.restartUrl}">` +
          '<input type="hidden" name="_xsrf" value="xsrf-2b7e151628aed2a6" />' +
          '<button type="submit" class="btn btn-secondary">Restart',
      );
    }
    expect(page.match(/<form /g)).toHaveLength(sampleApps.length);
    expect(page.match(/name="_xsrf"/g)).toHaveLength(sampleApps.length);
  });

  it('opens in a new tab only the apps that ask for it, and says so', () => {
    for (const c of cards(page)) {
      const app = sampleApps.find((a) => a.title === c.title);
      expect(c.card.includes('target="_blank" rel="noopener"')).toBe(app?.newBrowserTab);
      expect(c.card.includes('(opens in a new tab)')).toBe(app?.newBrowserTab);
    }
  });

  it('uses the app icon when given and the inline default otherwise', () => {
    const byTitle = Object.fromEntries(cards(page).map((c) => [c.title, c.card]));
    expect(byTitle.RStudio).toMatch(/<img class="app-icon" src="data:image\/svg\+xml,[^"]+" alt=""/);
    expect(byTitle.JupyterLab).toContain('<svg class="app-icon"');
    expect(byTitle.JupyterLab).not.toContain('<img');
  });

  it('shows the flash message only when there is one', () => {
    expect(page).toContain('<div class="flash" role="status">RStudio is restarting.</div>');
    expect(renderLauncher(sampleContext, { ...sampleLauncher, flash: undefined })).not.toContain(
      'class="flash"',
    );
  });

  it('explains how to add apps when there are none', () => {
    const empty = renderLauncher(sampleContext, sampleEmptyLauncher);
    expect(empty).toContain('No apps are set up yet');
    expect(empty).toContain('<code>hubify.yaml</code>');
    expect(empty).toContain('<code>--app NAME=COMMAND</code>');
    expect(empty).not.toContain('<form');
    expect(empty).toContain('<code>/user/alice/</code>');
  });
});

describe('renderStarting', () => {
  const page = renderStarting(sampleContext, sampleStarting);

  it('reloads itself with a meta refresh and shows a progress indication', () => {
    expect(page).toMatch(/<head>[\s\S]*<meta http-equiv="refresh" content="2"[\s\S]*<\/head>/);
    expect(page).toContain('<h1 id="page-title">Starting RStudio…</h1>');
    expect(page).toContain('<title>Starting RStudio · hubify</title>');
    expect(page).toContain('role="progressbar"');
    expect(page).toContain('@keyframes');
    expect(page).toContain('prefers-reduced-motion');
  });

  it('says how long it has been and how long it may take', () => {
    expect(collapsed(page)).toContain('Started 12 seconds ago. Starting can take up to 2 minutes.');
    expect(collapsed(page)).toContain('This page checks again every 2 seconds.');
  });

  it('says when it is taking longer than the limit', () => {
    const late = renderStarting(sampleContext, { ...sampleStarting, elapsedSeconds: 150 });
    expect(collapsed(late)).toContain('taking longer than the usual limit of 2 minutes');
  });

  it('never refreshes faster than once a second', () => {
    for (const refreshSeconds of [0, 0.2]) {
      const p = renderStarting(sampleContext, { ...sampleStarting, refreshSeconds });
      expect(p).toContain('<meta http-equiv="refresh" content="1"');
    }
    // Nonsense falls back to five seconds.
    for (const refreshSeconds of [-3, Number.NaN, Number.POSITIVE_INFINITY]) {
      const p = renderStarting(sampleContext, { ...sampleStarting, refreshSeconds });
      expect(p).toContain('<meta http-equiv="refresh" content="5"');
    }
    expect(renderStarting(sampleContext, { ...sampleStarting, refreshSeconds: 7.6 })).toContain(
      'content="8"',
    );
  });
});

describe('renderAppError', () => {
  const page = renderAppError(sampleContext, sampleAppError);

  it('shows the error, a restart form and a way back to the launcher', () => {
    expect(page).toContain('<h1 id="page-title">VS Code could not start</h1>');
    expect(page).toContain(`<p class="lead">${sampleAppError.error}</p>`);
    expect(page).toContain(
      '<form class="inline" method="post" action="/user/alice/_hubify/apps/vscode/restart">' +
        '<input type="hidden" name="_xsrf" value="xsrf-2b7e151628aed2a6" />' +
        '<button type="submit" class="btn btn-primary">Restart VS Code</button></form>',
    );
    expect(page).toContain('<a class="btn btn-secondary" href="/user/alice/">Back to the launcher</a>');
  });

  it('shows the log tail in a focusable, scrollable pre without terminal escapes', () => {
    const pre = /<pre class="log" tabindex="0"[^>]*>([\s\S]*?)<\/pre>/.exec(page)?.[1] ?? '';
    const lines = pre.replace(/^\n/, '').split('\n');
    expect(lines).toHaveLength(sampleAppError.logTail.length);
    expect(lines[2]).toBe(
      '[2025-11-21T23:01:02.120Z] error EADDRINUSE: address already in use 127.0.0.1:38211',
    );
    expect(pre).not.toContain('\u001b');
    expect(page).toContain('.log{');
    expect(page).toMatch(/\.log\{[^}]*overflow:auto/);
  });

  it('replaces control characters and says when there is no output', () => {
    const p = renderAppError(sampleContext, { ...sampleAppError, logTail: ['a\u0000b\u0007c\r'] });
    expect(p).toMatch(/>\s*a\ufffdb\ufffdc<\/pre>/);
    const none = renderAppError(sampleContext, { ...sampleAppError, logTail: [] });
    expect(none).not.toContain('<pre');
    expect(none).toContain('The app wrote no output before it stopped.');
  });
});

describe('renderDenied', () => {
  it('shows the message, a link to the hub and one to log in as someone else', () => {
    const page = renderDenied({ ...sampleContext, user: 'bob' }, sampleDenied);
    expect(page).toContain('Error 403 · Access denied');
    expect(page).toContain('<h1 id="page-title">Access denied</h1>');
    expect(page).toContain('User bob is not allowed to access this server.');
    expect(page).toContain('<a class="btn btn-primary" href="/hub/home">Go to the hub</a>');
    expect(page).toContain('<a class="btn btn-secondary" href="/hub/logout">Log in as a different user</a>');
  });

  it('leaves out the log-in link when there is none', () => {
    const page = renderDenied(sampleContext, {
      status: 401,
      title: 'Not signed in',
      message: 'Your session has expired.',
      hubUrl: '/hub/',
    });
    expect(page).toContain('Error 401 · Not signed in');
    expect(page).not.toContain('Log in as a different user');
    expect(page).toContain('href="/hub/">Go to the hub</a>');
  });
});

describe('renderProxyError', () => {
  it('explains 502 and 504 and links back to the launcher', () => {
    const bad = renderProxyError(sampleContext, sampleProxyError);
    expect(bad).toContain('Error 502 · Bad gateway');
    expect(bad).toContain('<h1 id="page-title">RStudio could not be reached</h1>');
    expect(bad).toContain(sampleProxyError.message);
    expect(bad).toContain('<a class="btn btn-secondary" href="/user/alice/">Back to the launcher</a>');
    const slow = renderProxyError(sampleContext, { ...sampleProxyError, status: 504 });
    expect(slow).toContain('Error 504 · Gateway timeout');
    expect(slow).toContain('<h1 id="page-title">RStudio took too long to answer</h1>');
  });
});

describe('renderGenericError', () => {
  it('shows the status with its reason, the title and the message', () => {
    const page = renderGenericError(sampleContext, sampleGenericError);
    expect(page).toContain('Error 404 · Not Found');
    expect(page).toContain('<title>Page not found · hubify</title>');
    expect(page).toContain(sampleGenericError.message);
    const method = renderGenericError(sampleContext, {
      status: 405,
      title: 'Wrong method',
      message: 'Use GET.',
    });
    expect(method).toContain('Error 405 · Method Not Allowed');
    const odd = renderGenericError(sampleContext, { status: 599, title: 'Odd', message: 'Odd.' });
    expect(odd).toContain('<p class="eyebrow">Error 599</p>');
  });
});
