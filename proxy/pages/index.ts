/**
 * Every HTML page the runtime shows a person. Pure functions: data in, a complete HTML5 document
 * out. The caller sets status, headers (CSP, Retry-After) and writes the string.
 */
export { escapeHtml } from './html.ts';
export { defaultAppIconSvg, svgDataUri } from './icons.ts';
export type { PageContext } from './layout.ts';
export {
  renderLauncher,
  type LauncherApp,
  type LauncherAppState,
  type LauncherPageData,
} from './launcher-page.ts';
export { renderStarting, type StartingPageData } from './starting-page.ts';
export { renderAppError, type AppErrorPageData } from './app-error-page.ts';
export { renderDenied, type DeniedPageData } from './denied-page.ts';
export { renderProxyError, type ProxyErrorPageData } from './proxy-error-page.ts';
export { renderGenericError, type GenericErrorPageData } from './generic-error-page.ts';
