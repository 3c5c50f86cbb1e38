/**
 * The one stylesheet every page inlines (CSP: `style-src 'unsafe-inline'`; nothing is fetched).
 * Colours live in two palettes so a unit test can check every text/background pair for WCAG AA.
 */

export interface Palette {
  bg: string;
  surface: string;
  surfaceSunken: string;
  text: string;
  muted: string;
  border: string;
  accent: string;
  accentHover: string;
  onAccent: string;
  focus: string;
  iconTile: string;
  iconGlyph: string;
  okBg: string;
  okText: string;
  warnBg: string;
  warnText: string;
  errBg: string;
  errText: string;
  idleBg: string;
  idleText: string;
  infoBg: string;
  infoText: string;
}

export const lightPalette: Palette = {
  bg: '#f4f6f8',
  surface: '#ffffff',
  surfaceSunken: '#eef1f4',
  text: '#1b1f24',
  muted: '#555f6b',
  border: '#d6dbe1',
  accent: '#1558c0',
  accentHover: '#0f4699',
  onAccent: '#ffffff',
  focus: '#1558c0',
  iconTile: '#e3e8ee',
  iconGlyph: '#5b6675',
  okBg: '#e2f3e7',
  okText: '#146130',
  warnBg: '#fcefd2',
  warnText: '#744700',
  errBg: '#fbe7e6',
  errText: '#a11c1a',
  idleBg: '#eceff3',
  idleText: '#49525d',
  infoBg: '#e6effc',
  infoText: '#15407f',
};

export const darkPalette: Palette = {
  bg: '#0f1318',
  surface: '#171c23',
  surfaceSunken: '#11161b',
  text: '#e6ebf0',
  muted: '#a0aab5',
  border: '#2d353f',
  accent: '#80b6ff',
  accentHover: '#a8cdff',
  onAccent: '#0b1a2e',
  focus: '#80b6ff',
  iconTile: '#26303b',
  iconGlyph: '#a9b4c0',
  okBg: '#14301e',
  okText: '#86dfa4',
  warnBg: '#352808',
  warnText: '#f1c86b',
  errBg: '#3a1516',
  errText: '#ffa39d',
  idleBg: '#242b34',
  idleText: '#b8c1cb',
  infoBg: '#15263d',
  infoText: '#a9cdff',
};

function cssVariables(palette: Palette): string {
  return Object.entries(palette)
    .map(([name, value]) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}:${value};`)
    .join('');
}

const RULES = `
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;display:flex;flex-direction:column;background:var(--bg);color:var(--text);
font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif}
a{color:var(--accent);text-underline-offset:.15em}
a:hover{color:var(--accent-hover)}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px;border-radius:4px}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace;font-size:.875em}
code{background:var(--surface-sunken);border:1px solid var(--border);border-radius:4px;padding:.05em .35em;
overflow-wrap:anywhere}
pre code{background:none;border:0;padding:0;font-size:inherit}
.nowrap{white-space:nowrap}
h1,h2,h3{line-height:1.25;margin:0}
p{margin:0}
.visually-hidden{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;
clip:rect(0 0 0 0);white-space:nowrap;border:0}
.skip-link{position:absolute;left:.75rem;top:-3rem;z-index:10;background:var(--surface);color:var(--accent);
padding:.5rem .75rem;border:1px solid var(--border);border-radius:6px}
.skip-link:focus{top:.75rem}
.wrap{width:100%;max-width:72rem;margin:0 auto;padding:0 1.25rem}
.site-header{background:var(--surface);border-bottom:1px solid var(--border)}
.site-header .wrap{display:flex;align-items:center;justify-content:space-between;gap:1rem;min-height:3.5rem;
flex-wrap:wrap}
.wordmark{display:inline-flex;align-items:center;gap:.5rem;font-weight:650;font-size:1.125rem;
letter-spacing:-.01em;color:var(--text)}
.wordmark .mark{color:var(--accent)}
.who{color:var(--muted);font-size:.9375rem;overflow-wrap:anywhere}
.who strong{color:var(--text);font-weight:600}
main{flex:1 0 auto;padding:2rem 0 3rem}
main:focus{outline:none}
.site-footer{border-top:1px solid var(--border);color:var(--muted);font-size:.875rem}
.site-footer .wrap{display:flex;flex-wrap:wrap;align-items:center;justify-content:space-between;gap:.5rem 1.5rem;
padding-top:1rem;padding-bottom:1.25rem}
.site-footer ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem}
.site-footer a{display:inline-block;padding:.25rem 0}
.meta{font-size:.8125rem;color:var(--muted);overflow-wrap:anywhere}
.meta code{font-size:.75rem}
.btn{display:inline-flex;align-items:center;justify-content:center;gap:.4rem;min-height:2.5rem;
padding:.45rem 1rem;border-radius:8px;border:1px solid transparent;font:inherit;font-size:.9375rem;
font-weight:600;line-height:1.2;text-decoration:none;cursor:pointer}
.btn-primary{background:var(--accent);color:var(--on-accent)}
.btn-primary:hover{background:var(--accent-hover);color:var(--on-accent)}
.btn-secondary{background:var(--surface);color:var(--text);border-color:var(--border)}
.btn-secondary:hover{background:var(--surface-sunken);color:var(--text)}
form.inline{display:inline;margin:0}
.actions{display:flex;flex-wrap:wrap;gap:.625rem;align-items:center}
.inline-icon{flex:none}
.page-head{display:flex;flex-wrap:wrap;align-items:baseline;justify-content:space-between;gap:.25rem 1rem;
margin-bottom:1.5rem}
.page-head h1{font-size:1.75rem;letter-spacing:-.015em}
.page-head p{color:var(--muted)}
.flash{background:var(--info-bg);color:var(--info-text);border-radius:8px;padding:.75rem 1rem;
margin-bottom:1.5rem;overflow-wrap:anywhere}
.category+.category{margin-top:2.25rem}
.category h2{font-size:.8125rem;font-weight:650;letter-spacing:.06em;text-transform:uppercase;color:var(--muted);
margin-bottom:.75rem}
.cards{list-style:none;margin:0;padding:0;display:grid;gap:1rem;
grid-template-columns:repeat(auto-fill,minmax(min(100%,17.5rem),1fr))}
.card{display:flex;flex-direction:column;gap:.75rem;background:var(--surface);border:1px solid var(--border);
border-radius:12px;padding:1.125rem;box-shadow:0 1px 2px rgb(0 0 0 / 4%)}
.card-head{display:flex;gap:.875rem;align-items:flex-start}
.app-icon{flex:none;width:3rem;height:3rem;border-radius:10px;object-fit:contain}
.icon-tile{fill:var(--icon-tile)}
.icon-glyph{fill:var(--icon-glyph)}
.card-title{font-size:1.0625rem;font-weight:650;overflow-wrap:anywhere}
.card-desc{color:var(--muted);font-size:.9375rem;overflow-wrap:anywhere}
.card-error{color:var(--err-text);background:var(--err-bg);border-radius:8px;padding:.5rem .75rem;font-size:.875rem;
overflow-wrap:anywhere}
.card .actions{margin-top:auto;padding-top:.25rem}
.badge{display:inline-flex;align-items:center;gap:.375rem;margin-top:.3rem;padding:.125rem .55rem;
border-radius:999px;font-size:.8125rem;font-weight:600;line-height:1.5}
.badge::before{content:"";width:.5rem;height:.5rem;border-radius:50%;background:currentColor}
.badge-running{background:var(--ok-bg);color:var(--ok-text)}
.badge-starting{background:var(--warn-bg);color:var(--warn-text)}
.badge-starting::before{background:transparent;border:2px solid currentColor}
.badge-failed{background:var(--err-bg);color:var(--err-text)}
.badge-failed::before{border-radius:1px;transform:rotate(45deg)}
.badge-stopped{background:var(--idle-bg);color:var(--idle-text)}
.badge-stopped::before{background:transparent;border:2px solid currentColor;border-radius:2px}
.empty{background:var(--surface);border:1px dashed var(--border);border-radius:12px;padding:2rem 1.5rem;
max-width:44rem}
.empty h2{font-size:1.25rem;margin:.75rem 0 .5rem}
.empty p{color:var(--muted);margin-bottom:.75rem}
.empty pre{background:var(--surface-sunken);border:1px solid var(--border);border-radius:8px;padding:.75rem 1rem;
overflow-x:auto;margin:0 0 1.25rem;white-space:pre-wrap;overflow-wrap:anywhere}
.panel{max-width:40rem;margin:1rem auto 0;background:var(--surface);border:1px solid var(--border);
border-radius:14px;padding:2rem 1.75rem;box-shadow:0 1px 2px rgb(0 0 0 / 4%)}
.panel-wide{max-width:52rem}
.panel h1{font-size:1.5rem;letter-spacing:-.01em;margin:.75rem 0 .5rem;overflow-wrap:anywhere}
.panel .lead{font-size:1.0625rem;overflow-wrap:anywhere}
.panel p+p{margin-top:.5rem}
.panel .actions{margin-top:1.5rem}
.eyebrow{font-size:.8125rem;font-weight:650;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}
.muted{color:var(--muted)}
.symbol{display:inline-flex;align-items:center;justify-content:center;width:3.25rem;height:3.25rem;
border-radius:12px;background:var(--info-bg);color:var(--info-text)}
.symbol-warn{background:var(--warn-bg);color:var(--warn-text)}
.symbol-error{background:var(--err-bg);color:var(--err-text)}
.symbol-head{display:flex;align-items:center;gap:.75rem}
.progress{position:relative;height:.375rem;margin:1.5rem 0;border-radius:999px;background:var(--surface-sunken);
overflow:hidden}
.progress::after{content:"";position:absolute;top:0;bottom:0;left:0;width:40%;border-radius:999px;
background:var(--accent);animation:slide 1.6s ease-in-out -.5s infinite}
@keyframes slide{from{transform:translateX(-100%)}to{transform:translateX(250%)}}
@media (prefers-reduced-motion:reduce){.progress::after{animation:none;width:100%;opacity:.45}}
.log-title{font-size:1rem;margin:2rem 0 .5rem}
.log{margin:0;max-height:22rem;overflow:auto;background:var(--surface-sunken);border:1px solid var(--border);
border-radius:8px;padding:.75rem 1rem;font-size:.8125rem;line-height:1.5;white-space:pre-wrap;
overflow-wrap:anywhere}
@media (max-width:40rem){
.wrap{padding:0 1rem}
main{padding:1.25rem 0 2rem}
.page-head h1{font-size:1.5rem}
.panel{padding:1.5rem 1.125rem;border-radius:12px}
.panel h1{font-size:1.3125rem}
.actions .btn,.actions>form{flex:1 1 auto}
.actions>form{display:flex}
}
`;

/** The complete contents of the pages' `<style>` element. */
export const pageStyles =
  `:root{color-scheme:light dark;${cssVariables(lightPalette)}}` +
  `@media (prefers-color-scheme:dark){:root{${cssVariables(darkPalette)}}}` +
  RULES.replace(/\n/g, '');
