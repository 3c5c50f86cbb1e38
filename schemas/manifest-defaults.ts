/**
 * The default of every optional manifest property, keyed like the manifest (schema names, not
 * `ManifestSpec` names). The schema's `default` keywords document the same values;
 * `test/unit/manifest.test.ts` fails when the two disagree.
 */
export const APP_DEFAULTS = {
  description: '',
  command: [],
  environment: {},
  port: 0,
  unixSocket: false,
  stripPrefix: true,
  mappath: {},
  readiness: { path: '/', timeout: 30 },
  start: 'lazy',
  restart: { policy: 'on-failure', maxRestarts: 5, window: 300, backoff: 1, maxBackoff: 30 },
  identityHeaders: true,
  requestHeaders: {},
  requestTimeout: 300,
  activity: { enabled: true, exclude: [] },
  launcher: { show: true, category: 'Apps', order: 0, pathInfo: '', newBrowserTab: true },
} as const;

export const IMAGE_DEFAULTS = {
  entrypoint: [],
  cmd: [],
  env: {},
} as const;
