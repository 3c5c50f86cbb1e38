import { describe, expect, it } from 'vitest';
import { defaultAppIconSvg, svgDataUri } from '../../proxy/pages/index.ts';
import { html, safeImageUrl, safeUrl, trustedHtml } from '../../proxy/pages/html.ts';
import { formatDuration } from '../../proxy/pages/starting-page.ts';
import { darkPalette, lightPalette, type Palette } from '../../proxy/pages/styles.ts';

describe('icons', () => {
  it('defaultAppIconSvg is a standalone SVG document', () => {
    expect(defaultAppIconSvg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 48 48"/);
    expect(defaultAppIconSvg).toMatch(/<\/svg>$/);
    expect(defaultAppIconSvg).not.toMatch(/<script|href=/i);
  });

  it('svgDataUri percent-encodes so the URI is safe in any attribute', () => {
    const uri = svgDataUri(defaultAppIconSvg);
    expect(uri.startsWith('data:image/svg+xml,')).toBe(true);
    expect(uri).not.toMatch(/["'<> ]/);
    expect(decodeURIComponent(uri.slice('data:image/svg+xml,'.length))).toBe(defaultAppIconSvg);
  });
});

describe('html helpers', () => {
  it('html escapes strings and numbers, keeps SafeHtml, drops false/null/undefined, joins lists', () => {
    const inner = html`<b>${'<i>'}</b>`;
    const out = html`${inner}${1}${false}${null}${undefined}${['<', trustedHtml('<br>')]}`;
    expect(out.toString()).toBe('<b>&lt;i&gt;</b>1&lt;<br>');
  });

  it('safeUrl keeps paths and http(s), replaces other schemes, also when disguised', () => {
    for (const ok of ['/user/a/', 'lab', '?x=1', '#top', 'https://hub.example/', 'HTTP://x/', '']) {
      expect(safeUrl(ok)).toBe(ok);
    }
    for (const bad of [
      'javascript:alert(1)',
      ' javascript:x',
      'java\nscript:x',
      '\u0001JAVASCRIPT:x',
      'data:x',
      'file:/etc',
    ]) {
      expect(safeUrl(bad)).toBe('#');
    }
  });

  it('safeImageUrl allows image data URIs but not others', () => {
    expect(safeImageUrl('data:image/png;base64,AAAA')).toBe('data:image/png;base64,AAAA');
    expect(safeImageUrl('/user/a/_hubify/icons/r.svg')).toBe('/user/a/_hubify/icons/r.svg');
    expect(safeImageUrl('data:text/html,<b>')).toBeNull();
    expect(safeImageUrl('javascript:x')).toBeNull();
  });
});

describe('formatDuration', () => {
  it('rounds for people', () => {
    expect(formatDuration(1)).toBe('1 second');
    expect(formatDuration(45)).toBe('45 seconds');
    expect(formatDuration(120)).toBe('2 minutes');
    expect(formatDuration(60 * 60)).toBe('1 hour');
    expect(formatDuration(65 * 60)).toBe('1 hour 5 minutes');
    expect(formatDuration(Number.NaN)).toBe('0 seconds');
  });
});

// WCAG 2.x relative luminance and contrast ratio.
function luminance(hex: string): number {
  const channels = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16) / 255);
  const [r = 0, g = 0, b = 0] = channels.map((c) =>
    c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4,
  );
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

type Pair = [keyof Palette, keyof Palette];

// Text on the backgrounds it is drawn on (AA: 4.5:1).
const TEXT_PAIRS: Pair[] = [
  ['text', 'bg'],
  ['text', 'surface'],
  ['text', 'surfaceSunken'],
  ['muted', 'bg'],
  ['muted', 'surface'],
  ['accent', 'bg'],
  ['accent', 'surface'],
  ['accentHover', 'surface'],
  ['onAccent', 'accent'],
  ['onAccent', 'accentHover'],
  ['okText', 'okBg'],
  ['warnText', 'warnBg'],
  ['errText', 'errBg'],
  ['idleText', 'idleBg'],
  ['infoText', 'infoBg'],
];

// Focus rings and the primary button shape against their surroundings (AA non-text: 3:1).
const UI_PAIRS: Pair[] = [
  ['focus', 'bg'],
  ['focus', 'surface'],
  ['accent', 'surface'],
];

describe.each([
  ['light', lightPalette],
  ['dark', darkPalette],
])('%s palette', (_name, palette) => {
  it.each(TEXT_PAIRS)('%s on %s meets WCAG AA for text', (fg, bg) => {
    expect(contrast(palette[fg], palette[bg])).toBeGreaterThanOrEqual(4.5);
  });

  it.each(UI_PAIRS)('%s against %s meets WCAG AA for UI components', (fg, bg) => {
    expect(contrast(palette[fg], palette[bg])).toBeGreaterThanOrEqual(3);
  });
});
