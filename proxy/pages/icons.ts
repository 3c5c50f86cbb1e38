/**
 * The few icons the pages draw. All are constants of this file, drawn inline (so they follow the
 * page's colours and need no request) or as data: URIs (allowed by `img-src data:`).
 * Inline SVG in an HTML document needs no `xmlns`; standalone SVG (data: URIs, files) does.
 */
import { trustedHtml, type SafeHtml } from './html.ts';

const SVG_NAMESPACE = 'http://www.w3.org/2000/svg';

// The default app icon: a rounded tile with a 2×2 grid of squares, the usual "apps" sign.
const APP_ICON_TILE = 'M0 12A12 12 0 0 1 12 0h24a12 12 0 0 1 12 12v24a12 12 0 0 1-12 12H12A12 12 0 0 1 0 36z';
const APP_ICON_GLYPH =
  'M13 15a2 2 0 0 1 2-2h6a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2h-6a2 2 0 0 1-2-2zm12 0a2 2 0 0 1 2-2h6a2 2 0 0 1 2 2v6' +
  'a2 2 0 0 1-2 2h-6a2 2 0 0 1-2-2zM13 27a2 2 0 0 1 2-2h6a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2h-6a2 2 0 0 1-2-2zm12 0' +
  'a2 2 0 0 1 2-2h6a2 2 0 0 1 2 2v6a2 2 0 0 1-2 2h-6a2 2 0 0 1-2-2z';

/** A neutral app icon as a standalone SVG document (slate tile, white glyph: fine on light and dark). */
export const defaultAppIconSvg =
  `<svg xmlns="${SVG_NAMESPACE}" viewBox="0 0 48 48" width="48" height="48">` +
  `<path fill="#64748b" d="${APP_ICON_TILE}"/><path fill="#ffffff" d="${APP_ICON_GLYPH}"/></svg>`;

/** An SVG document as a `data:` URI, percent-encoded so it is safe inside any quoted attribute. */
export function svgDataUri(svg: string): string {
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

/** The default app icon for inline use; its colours come from the page's CSS (`.icon-tile`, `.icon-glyph`). */
export const inlineAppIcon: SafeHtml = trustedHtml(
  `<svg class="app-icon" viewBox="0 0 48 48" width="48" height="48" aria-hidden="true" focusable="false">` +
    `<path class="icon-tile" d="${APP_ICON_TILE}"/><path class="icon-glyph" d="${APP_ICON_GLYPH}"/></svg>`,
);

// The hubify mark: a hub with four spokes.
const MARK_BODY =
  '<circle cx="12" cy="12" r="3.2"/><circle cx="12" cy="3.5" r="2"/><circle cx="12" cy="20.5" r="2"/>' +
  '<circle cx="3.5" cy="12" r="2"/><circle cx="20.5" cy="12" r="2"/>' +
  '<path fill="none" stroke-width="1.6" d="M12 5.5v3.3M12 15.2v3.3M5.5 12h3.3M15.2 12h3.3"/>';

/** The wordmark's mark, coloured by the page (`currentColor`). */
export const inlineMark: SafeHtml = trustedHtml(
  `<svg class="mark" viewBox="0 0 24 24" width="24" height="24" aria-hidden="true" focusable="false" ` +
    `fill="currentColor" stroke="currentColor">${MARK_BODY}</svg>`,
);

/** The favicon, so browsers do not request `/favicon.ico` from the server. */
export const faviconDataUri = svgDataUri(
  `<svg xmlns="${SVG_NAMESPACE}" viewBox="0 0 24 24" fill="#2563eb" stroke="#2563eb">${MARK_BODY}</svg>`,
);

/** "Opens in a new tab" arrow for links. */
export const externalIcon: SafeHtml = trustedHtml(
  '<svg class="inline-icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false" ' +
    'fill="none" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" stroke-linejoin="round">' +
    '<path d="M9 3h4v4M13 3 7.5 8.5M12 9.5V12a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1V5a1 1 0 0 1 1-1h2.5"/></svg>',
);

/** Big status symbols on the single-message pages. */
export type StatusSymbol = 'progress' | 'warning' | 'lock' | 'unplugged' | 'info';

const SYMBOL_PATHS: Record<StatusSymbol, string> = {
  progress: '<path d="M12 7v5l3 2"/><circle cx="12" cy="12" r="8.5"/>',
  warning: '<path d="M12 4 3 19.5h18z"/><path d="M12 10v4.5M12 17.2v.1"/>',
  lock: '<rect x="5" y="10.5" width="14" height="9.5" rx="2"/><path d="M8.5 10.5V8a3.5 3.5 0 0 1 7 0v2.5"/>',
  unplugged:
    '<path d="M7 17l-3 3M17 7l3-3"/><path d="M9.5 9.5 7.6 11.4a3 3 0 0 0 0 4.3l.7.7a3 3 0 0 0 4.3 0l1.9-1.9z"/>' +
    '<path d="M14.5 14.5l1.9-1.9a3 3 0 0 0 0-4.3l-.7-.7a3 3 0 0 0-4.3 0L9.5 9.5"/>',
  info: '<circle cx="12" cy="12" r="8.5"/><path d="M12 11v5.5M12 7.8v.1"/>',
};

export function statusSymbol(symbol: StatusSymbol): SafeHtml {
  return trustedHtml(
    '<svg class="status-symbol" viewBox="0 0 24 24" width="32" height="32" aria-hidden="true" ' +
      'focusable="false" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" ' +
      `stroke-linejoin="round">${SYMBOL_PATHS[symbol]}</svg>`,
  );
}
