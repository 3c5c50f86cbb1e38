/**
 * Building HTML safely without a template engine.
 *
 * `html` is a tagged template: every interpolated value passes through `escapeHtml` unless it is
 * already `SafeHtml` (the result of another `html` call or of `trustedHtml` for our own constants).
 * So escaping is the default and forgetting it is impossible; attributes are always double-quoted
 * in the templates, and `escapeHtml` also escapes both quote characters.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML content and in quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

/** Markup that is already safe to emit as is. Only `html` and `trustedHtml` create it. */
export class SafeHtml {
  readonly #markup: string;

  constructor(markup: string) {
    this.#markup = markup;
  }

  toString(): string {
    return this.#markup;
  }
}

/** `false`, `null` and `undefined` render nothing, so `condition && html\`…\`` works. */
export type HtmlValue = SafeHtml | string | number | false | null | undefined | readonly HtmlValue[];

function isList(value: HtmlValue): value is readonly HtmlValue[] {
  return Array.isArray(value);
}

function renderValue(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.toString();
  if (value === null || value === undefined || value === false) return '';
  if (isList(value)) return value.map(renderValue).join('');
  return escapeHtml(String(value));
}

/** Tagged template that escapes every interpolated value (see the module comment). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += renderValue(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Marks a constant of this module tree (CSS, SVG) as markup. Never pass request or user data. */
export function trustedHtml(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

// Browsers drop leading C0 controls and spaces and remove tabs and newlines anywhere in a URL
// before reading its scheme, so `java\tscript:` is still javascript:. Do the same before checking.
function normaliseForSchemeCheck(url: string): string {
  // eslint-disable-next-line no-control-regex
  return url.replace(/^[\u0000-\u0020]+/, '').replace(/[\t\n\r]/g, '');
}

const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):/;

/**
 * A URL for `href`/`action`: paths, relative URLs and http(s) pass; any other scheme
 * (javascript:, data:, vbscript:, …) becomes `#`. The result still needs escaping (`html` does it).
 */
export function safeUrl(url: string): string {
  const scheme = SCHEME.exec(normaliseForSchemeCheck(url))?.[1]?.toLowerCase();
  if (scheme === undefined || scheme === 'http' || scheme === 'https') return url;
  return '#';
}

const IMAGE_DATA_URI = /^data:image\/(?:png|gif|jpeg|webp|avif|svg\+xml)[;,]/i;

/** A URL for `img src`: what `safeUrl` allows plus data: URIs of common image types; else null. */
export function safeImageUrl(url: string): string | null {
  const normalised = normaliseForSchemeCheck(url);
  if (IMAGE_DATA_URI.test(normalised)) return url;
  return safeUrl(url) === '#' ? null : url;
}
