/**
 * Everything the runtime is told at start, in one frozen object: the spawner's `JUPYTERHUB_*`
 * environment (hub 1.x to 6.x), `jupyterhub-singleuser`-style flags (hub 1.x passes settings as flags,
 * admins add Jupyter flags to `Spawner.args`), and hubify's own flags and `HUBIFY_*` variables.
 * Environment wins over flags, as in `jupyterhub-singleuser`. All problems are reported at once.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseShell } from 'shell-quote';
import { isLogLevel, type LogLevel } from './log.ts';

export type Mode = 'hub' | 'standalone';

export interface CookieOptions {
  sameSite: 'Lax' | 'Strict' | 'None' | null;
  secure: boolean | null;
  maxAgeSeconds: number | null;
  domain: string | null;
}

export interface TlsFiles {
  keyFile: string;
  certFile: string;
  clientCaFile: string;
}

export interface QuickApp {
  name: string;
  command: string[];
}

export interface RuntimeConfig {
  mode: Mode;
  /** Address and port to listen on. */
  ip: string;
  port: number;
  /** Path prefix of this server, with a trailing slash (`/user/alice/`, or `/` standalone). */
  prefix: string;
  /** Owner of the server (`JUPYTERHUB_USER`), or the standalone user. */
  user: string;
  serverName: string;
  apiToken: string;
  apiUrl: string | null;
  /** Public origin with subdomains (`https://alice.hub.example.org`), else "". */
  hubHost: string;
  /** Hub-wide base URL (`/`), hub pages under `<base>hub/`. */
  hubBaseUrl: string;
  clientId: string;
  /** As given by the hub; sent verbatim as `redirect_uri`. */
  oauthCallbackUrl: string;
  /** Path part of the callback URL, the one the runtime answers. */
  oauthCallbackPath: string;
  /** Scopes that grant access (hub 2.0+); null means the hub gave none (hub 1.x). */
  accessScopes: string[] | null;
  activityUrl: string | null;
  activityIntervalSeconds: number;
  adminAccess: boolean;
  /** 1.x-style group allow list (`JUPYTERHUB_GROUP`). */
  group: string | null;
  cookieOptions: CookieOptions;
  cookieHostPrefix: boolean;
  allowTokenInUrl: boolean | null;
  allowWebsocketCookieAuth: boolean;
  publicUrl: string | null;
  defaultUrl: string | null;
  rootDir: string | null;
  tls: TlsFiles | null;
  debug: boolean;
  logLevel: LogLevel;
  /** Manifest file to load, or null. */
  manifestPath: string | null;
  quickApps: QuickApp[];
  tokenCacheSeconds: number;
  stopGraceMs: number;
  headersTimeoutMs: number;
  /** Flags that were accepted but have no meaning for hubify (logged as warnings). */
  ignoredFlags: string[];
  /** Whether the standalone token was generated (and must be printed) rather than given. */
  generatedToken: boolean;
}

export const DEFAULT_MANIFEST_PATH = '/opt/hubify/manifest.json';
export const DEFAULT_PORT = 8888;

/** Every environment variable the runtime reads, with its meaning: the source of `--help` and README. */
export const ENVIRONMENT_VARIABLES: readonly (readonly [string, string])[] = [
  ['JUPYTERHUB_API_TOKEN', 'Server token; also the OAuth client secret. Its absence means standalone mode.'],
  ['JPY_API_TOKEN', 'Deprecated name of JUPYTERHUB_API_TOKEN (read when that is unset).'],
  ['JUPYTERHUB_API_URL', 'Hub API for server-to-hub calls, e.g. http://127.0.0.1:8081/hub/api.'],
  ['JUPYTERHUB_BASE_URL', 'Hub-wide base URL (default /); hub pages live under <base>hub/.'],
  ['JUPYTERHUB_HOST', 'Public origin when the hub uses subdomains, else empty.'],
  ['JUPYTERHUB_SERVICE_PREFIX', 'Path prefix of this server, e.g. /user/alice/.'],
  ['JUPYTERHUB_SERVICE_URL', 'URL to bind (hub 2.0+); only host and port are used.'],
  ['JUPYTERHUB_CLIENT_ID', 'OAuth client id; also the session cookie name.'],
  ['JUPYTERHUB_OAUTH_CALLBACK_URL', 'Registered OAuth redirect URI; its path is answered by the runtime.'],
  ['JUPYTERHUB_OAUTH_ACCESS_SCOPES', 'JSON list of scopes that grant access (hub 3.0+).'],
  ['JUPYTERHUB_OAUTH_SCOPES', 'Older name of JUPYTERHUB_OAUTH_ACCESS_SCOPES (hub 2.x).'],
  [
    'JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES',
    'Informational: extra scopes the hub lets tokens carry; they reach apps in X-Hubify-Scopes.',
  ],
  ['JUPYTERHUB_USER', 'Owner of this server.'],
  ['JUPYTERHUB_SERVER_NAME', 'Name of this server; empty for the default server.'],
  ['JUPYTERHUB_ADMIN_ACCESS', 'Hub 1.x: 1 lets admins in.'],
  ['JUPYTERHUB_GROUP', 'Hub 1.x: members of this group are let in.'],
  ['JUPYTERHUB_ACTIVITY_URL', 'Where activity is posted.'],
  ['JUPYTERHUB_ACTIVITY_INTERVAL', 'Seconds between activity reports (default 300).'],
  ['JUPYTERHUB_COOKIE_OPTIONS', 'JSON cookie options from the hub (SameSite, Secure, expires_days, domain).'],
  ['JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED', '1: name cookies __Host-..., path /, Secure (hub 4.1+).'],
  [
    'JUPYTERHUB_ALLOW_TOKEN_IN_URL',
    'Whether ?token= authenticates page requests (hub 4.1: default 1; 5.0+: 0).',
  ],
  [
    'JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH',
    'Whether the session cookie authenticates WebSockets (default 1).',
  ],
  ['JUPYTERHUB_PUBLIC_URL', 'Public URL of this server (hub 5.0+); https here makes cookies Secure.'],
  ['JUPYTERHUB_DEFAULT_URL', 'Where the server root redirects, e.g. /rstudio/ (hub 2.0+).'],
  ['JUPYTERHUB_ROOT_DIR', 'Working directory for apps (hub 2.0+); may start with ~.'],
  ['JUPYTERHUB_DEBUG', '1: debug logging.'],
  ['JUPYTERHUB_SSL_KEYFILE', 'Internal SSL: our key.'],
  ['JUPYTERHUB_SSL_CERTFILE', 'Internal SSL: our certificate.'],
  ['JUPYTERHUB_SSL_CLIENT_CA', 'Internal SSL: CA bundle that client certificates and the hub must chain to.'],
  ['HUBIFY_MANIFEST', `App manifest (YAML or JSON); default ${DEFAULT_MANIFEST_PATH} when it exists.`],
  ['HUBIFY_TOKEN', 'Standalone mode: the access token (generated and printed when unset).'],
  ['HUBIFY_USER', 'Standalone mode: the user name passed to apps (default $USER or jovyan).'],
  [
    'HUBIFY_HOME',
    'Home directory for the apps (HOME, {home}, default cwd); default: $HOME, or the one writable volume mounted at /home/<name>.',
  ],
  ['HUBIFY_IP', 'Address to listen on when neither JUPYTERHUB_SERVICE_URL nor --ip says.'],
  ['HUBIFY_PORT', 'Port to listen on when neither JUPYTERHUB_SERVICE_URL nor --port says.'],
  ['HUBIFY_LOG_LEVEL', 'debug, info, warn or error (default info).'],
  [
    'HUBIFY_TOKEN_CACHE_SECONDS',
    'How long a token lookup is trusted before asking the hub again (default 60).',
  ],
  [
    'HUBIFY_HEADERS_TIMEOUT_MS',
    'Milliseconds a client has to send its request headers (default 30000; slowloris guard).',
  ],
  ['HUBIFY_STOP_GRACE_MS', 'Milliseconds apps get between SIGTERM and SIGKILL at shutdown (default 3000).'],
];

export const FLAGS: readonly (readonly [string, string])[] = [
  [
    '--app NAME=COMMAND',
    'Serve COMMAND at <prefix>NAME/ (repeatable; split shell-style; placeholders allowed).',
  ],
  ['--manifest FILE', 'App manifest (YAML or JSON).'],
  ['--ip ADDRESS', 'Address to listen on (hub 1.x style; JUPYTERHUB_SERVICE_URL wins).'],
  ['--port PORT', 'Port to listen on (default 8888).'],
  ['--log-level LEVEL', 'debug, info, warn or error.'],
  ['--debug', 'Same as --log-level debug.'],
  [
    '--SingleUserNotebookApp.default_url=URL',
    'Where the server root redirects (hub 1.x); also --ServerApp./--NotebookApp.default_url.',
  ],
  ['--notebook-dir DIR', 'Working directory for apps (hub 1.x); also --ServerApp.root_dir.'],
  ['--ServerApp.ip / .port / .base_url', 'Accepted like --ip / --port / the prefix.'],
  ['--Other.option=VALUE', 'Any other Jupyter flag is accepted and ignored with a warning.'],
  ['--help, --version', 'Print this help or the version.'],
];

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      `hubify-proxy cannot start: ${problems.length} configuration problem(s):\n  ${problems.join('\n  ')}`,
    );
    this.problems = problems;
  }
}

export type ParsedCommandLine =
  { kind: 'help' } | { kind: 'version' } | { kind: 'run'; flags: CommandLineFlags };

export interface CommandLineFlags {
  ip: string | null;
  port: string | null;
  baseUrl: string | null;
  defaultUrl: string | null;
  rootDir: string | null;
  debug: boolean;
  logLevel: string | null;
  manifest: string | null;
  apps: string[];
  ignored: string[];
}

const JUPYTER_ALIASES: Record<string, keyof CommandLineFlags> = {
  ip: 'ip',
  port: 'port',
  base_url: 'baseUrl',
  default_url: 'defaultUrl',
  root_dir: 'rootDir',
  notebook_dir: 'rootDir',
};

/** Flags that only make sense for jupyter_server; accepted silently because spawners add them routinely. */
const SILENT_FLAGS = new Set(['allow-root', 'no-browser', 'disable-user-config']);

export function parseCommandLine(argv: string[]): ParsedCommandLine {
  const { tokens } = parseArgs({
    args: argv,
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      debug: { type: 'boolean' },
      ip: { type: 'string' },
      port: { type: 'string' },
      'notebook-dir': { type: 'string' },
      'log-level': { type: 'string' },
      manifest: { type: 'string' },
      app: { type: 'string', multiple: true },
    },
  });
  const flags: CommandLineFlags = {
    ip: null,
    port: null,
    baseUrl: null,
    defaultUrl: null,
    rootDir: null,
    debug: false,
    logLevel: null,
    manifest: null,
    apps: [],
    ignored: [],
  };
  for (const token of tokens) {
    if (token.kind === 'positional') {
      flags.ignored.push(token.value);
      continue;
    }
    if (token.kind !== 'option') continue;
    const value = token.value;
    switch (token.name) {
      case 'help':
        return { kind: 'help' };
      case 'version':
        return { kind: 'version' };
      case 'debug':
        flags.debug = true;
        continue;
      case 'ip':
        flags.ip = value ?? null;
        continue;
      case 'port':
        flags.port = value ?? null;
        continue;
      case 'notebook-dir':
        flags.rootDir = value ?? null;
        continue;
      case 'log-level':
        flags.logLevel = value ?? null;
        continue;
      case 'manifest':
        flags.manifest = value ?? null;
        continue;
      case 'app':
        if (value !== undefined) flags.apps.push(value);
        continue;
    }
    // `--SingleUserNotebookApp.default_url=/lab`, `--ServerApp.ip=0.0.0.0`, `--NotebookApp.port=8888`.
    const dotted = /^(SingleUserNotebookApp|ServerApp|NotebookApp|SingleUserLabApp|LabApp)\.(\w+)$/.exec(
      token.name,
    );
    const target = dotted?.[2] === undefined ? undefined : JUPYTER_ALIASES[dotted[2]];
    if (target !== undefined && value !== undefined) {
      (flags as unknown as Record<string, string>)[target] = value;
      continue;
    }
    if (!SILENT_FLAGS.has(token.name))
      flags.ignored.push(token.rawName + (value === undefined ? '' : `=${value}`));
  }
  return { kind: 'run', flags };
}

type Env = Record<string, string | undefined>;

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}

function parseBool(name: string, value: string | undefined, problems: string[]): boolean | null {
  if (value === undefined || value === '') return null;
  const lowered = value.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(lowered)) return true;
  if (['0', 'false', 'no', 'off'].includes(lowered)) return false;
  problems.push(`${name}=${JSON.stringify(value)} is not a boolean: use 1 or 0.`);
  return null;
}

function parsePositiveNumber(name: string, value: string | undefined, problems: string[]): number | null {
  if (value === undefined || value === '') return null;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) {
    problems.push(`${name}=${JSON.stringify(value)} must be a positive number.`);
    return null;
  }
  return number;
}

function parseJsonList(name: string, value: string | undefined, problems: string[]): string[] | null {
  if (value === undefined || value === '') return null;
  try {
    const parsed: unknown = JSON.parse(value);
    if (Array.isArray(parsed) && parsed.every((item) => typeof item === 'string')) return parsed;
  } catch {
    // reported below
  }
  problems.push(`${name} must be a JSON list of strings, got ${JSON.stringify(value)}.`);
  return null;
}

function parseCookieOptions(value: string | undefined, problems: string[]): CookieOptions {
  const options: CookieOptions = { sameSite: null, secure: null, maxAgeSeconds: null, domain: null };
  if (value === undefined || value === '') return options;
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    problems.push(`JUPYTERHUB_COOKIE_OPTIONS is not JSON: ${JSON.stringify(value)}.`);
    return options;
  }
  if (typeof parsed !== 'object' || parsed === null) return options;
  // tornado's cookie options: keys are case-insensitive (samesite, SameSite), expires_days is a number.
  for (const [key, raw] of Object.entries(parsed as Record<string, unknown>)) {
    const lowered = key.toLowerCase();
    if (lowered === 'samesite' && typeof raw === 'string') {
      const normalised = raw.charAt(0).toUpperCase() + raw.slice(1).toLowerCase();
      if (normalised === 'Lax' || normalised === 'Strict' || normalised === 'None')
        options.sameSite = normalised;
    } else if (lowered === 'secure') {
      options.secure = Boolean(raw);
    } else if (lowered === 'expires_days' && typeof raw === 'number') {
      options.maxAgeSeconds = Math.round(raw * 86_400);
    } else if (lowered === 'max_age' && typeof raw === 'number') {
      options.maxAgeSeconds = raw;
    } else if (lowered === 'domain' && typeof raw === 'string') {
      options.domain = raw;
    }
  }
  return options;
}

function withTrailingSlash(path: string): string {
  return path.endsWith('/') ? path : `${path}/`;
}

function inContainer(): boolean {
  return (
    existsSync('/.dockerenv') ||
    existsSync('/run/.containerenv') ||
    process.env.KUBERNETES_SERVICE_HOST !== undefined ||
    process.pid === 1
  );
}

/** `NAME=COMMAND` from `--app`, split shell-style. */
export function parseQuickApp(text: string, problems: string[]): QuickApp | null {
  const eq = text.indexOf('=');
  const name = eq > 0 ? text.slice(0, eq) : '';
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(name)) {
    problems.push(
      `--app ${JSON.stringify(text)}: expected NAME=COMMAND with NAME in lowercase letters, digits and dashes.`,
    );
    return null;
  }
  // `$VAR` would silently become "" (the runtime's environment is not the app's): refuse it instead.
  const variables: string[] = [];
  const words = parseShell(text.slice(eq + 1), (key: string) => {
    variables.push(key);
    return '';
  });
  if (variables.length > 0) {
    problems.push(
      `--app ${name}: $${variables[0]} is not expanded; use a placeholder such as {port}, or wrap the command in sh -c '...'.`,
    );
    return null;
  }
  const command: string[] = [];
  for (const word of words) {
    if (typeof word !== 'string') {
      problems.push(
        `--app ${name}: shell operators (|, &&, >, globs) are not supported; wrap them in sh -c '...'.`,
      );
      return null;
    }
    command.push(word);
  }
  if (command.length === 0) {
    problems.push(`--app ${name}: the command is empty.`);
    return null;
  }
  return { name, command };
}

export function loadConfig(flags: CommandLineFlags, env: Env = process.env): RuntimeConfig {
  const problems: string[] = [];
  const apiToken = nonEmpty(env.JUPYTERHUB_API_TOKEN) ?? nonEmpty(env.JPY_API_TOKEN);
  const mode: Mode = apiToken === null ? 'standalone' : 'hub';

  // Where to listen: JUPYTERHUB_SERVICE_URL (2.0+) > flags (1.x) > HUBIFY_* > defaults.
  let ip = flags.ip ?? nonEmpty(env.HUBIFY_IP) ?? (inContainer() ? '0.0.0.0' : '127.0.0.1');
  let portText = flags.port ?? nonEmpty(env.HUBIFY_PORT) ?? String(DEFAULT_PORT);
  const serviceUrl = nonEmpty(env.JUPYTERHUB_SERVICE_URL);
  let tlsFromUrl = false;
  if (serviceUrl !== null) {
    try {
      const url = new URL(serviceUrl);
      // An empty host (`http://:8888/`) means every interface, IPv4 and IPv6 (hub 5.3+).
      ip = url.hostname === '' ? '::' : url.hostname.replace(/^\[(.*)\]$/, '$1');
      portText = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
      tlsFromUrl = url.protocol === 'https:';
    } catch {
      // `new URL('http://:8888/x')` throws: handle the empty-host form by hand.
      const match = /^(https?):\/\/:(\d+)/.exec(serviceUrl);
      if (match?.[2] !== undefined) {
        ip = '::';
        portText = match[2];
        tlsFromUrl = match[1] === 'https';
      } else {
        problems.push(`JUPYTERHUB_SERVICE_URL=${JSON.stringify(serviceUrl)} is not a URL.`);
      }
    }
  }
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    problems.push(`The port ${JSON.stringify(portText)} must be an integer from 0 to 65535.`);
  }

  const prefix = withTrailingSlash(nonEmpty(env.JUPYTERHUB_SERVICE_PREFIX) ?? flags.baseUrl ?? '/');
  if (!prefix.startsWith('/')) problems.push(`JUPYTERHUB_SERVICE_PREFIX must start with /, got ${prefix}.`);

  const user = nonEmpty(env.JUPYTERHUB_USER) ?? nonEmpty(env.HUBIFY_USER) ?? nonEmpty(env.USER) ?? 'jovyan';
  const serverName = env.JUPYTERHUB_SERVER_NAME ?? '';
  const apiUrl = nonEmpty(env.JUPYTERHUB_API_URL);
  if (mode === 'hub' && apiUrl === null) {
    problems.push(
      'JUPYTERHUB_API_URL is not set, but JUPYTERHUB_API_TOKEN is: the spawner environment is incomplete.',
    );
  }
  const clientId =
    nonEmpty(env.JUPYTERHUB_CLIENT_ID) ??
    `jupyterhub-user-${encodeURIComponent(user)}${serverName === '' ? '' : `-${encodeURIComponent(serverName)}`}`;
  const oauthCallbackUrl = nonEmpty(env.JUPYTERHUB_OAUTH_CALLBACK_URL) ?? `${prefix}oauth_callback`;
  let oauthCallbackPath = oauthCallbackUrl;
  try {
    oauthCallbackPath = new URL(oauthCallbackUrl, 'http://placeholder').pathname;
  } catch {
    problems.push(`JUPYTERHUB_OAUTH_CALLBACK_URL=${JSON.stringify(oauthCallbackUrl)} is not a URL or path.`);
  }

  const accessScopes =
    parseJsonList('JUPYTERHUB_OAUTH_ACCESS_SCOPES', env.JUPYTERHUB_OAUTH_ACCESS_SCOPES, problems) ??
    parseJsonList('JUPYTERHUB_OAUTH_SCOPES', env.JUPYTERHUB_OAUTH_SCOPES, problems);

  const interval = parsePositiveNumber(
    'JUPYTERHUB_ACTIVITY_INTERVAL',
    env.JUPYTERHUB_ACTIVITY_INTERVAL,
    problems,
  );
  const debug = flags.debug || parseBool('JUPYTERHUB_DEBUG', env.JUPYTERHUB_DEBUG, problems) === true;
  const levelText = flags.logLevel ?? nonEmpty(env.HUBIFY_LOG_LEVEL) ?? (debug ? 'debug' : 'info');
  if (!isLogLevel(levelText))
    problems.push(`The log level ${JSON.stringify(levelText)} is not debug, info, warn or error.`);

  const keyFile = nonEmpty(env.JUPYTERHUB_SSL_KEYFILE);
  const certFile = nonEmpty(env.JUPYTERHUB_SSL_CERTFILE);
  const clientCaFile = nonEmpty(env.JUPYTERHUB_SSL_CLIENT_CA);
  let tls: TlsFiles | null = null;
  if (keyFile !== null || certFile !== null || clientCaFile !== null) {
    if (keyFile === null || certFile === null || clientCaFile === null) {
      problems.push(
        'Internal SSL needs all of JUPYTERHUB_SSL_KEYFILE, JUPYTERHUB_SSL_CERTFILE and JUPYTERHUB_SSL_CLIENT_CA.',
      );
    } else {
      tls = { keyFile, certFile, clientCaFile };
    }
  } else if (tlsFromUrl) {
    problems.push('JUPYTERHUB_SERVICE_URL is https but no JUPYTERHUB_SSL_* certificate files were given.');
  }

  const quickApps: QuickApp[] = [];
  for (const text of flags.apps) {
    const app = parseQuickApp(text, problems);
    if (app !== null) quickApps.push(app);
  }
  let manifestPath = flags.manifest ?? nonEmpty(env.HUBIFY_MANIFEST);
  if (manifestPath === null && quickApps.length === 0 && existsSync(DEFAULT_MANIFEST_PATH)) {
    manifestPath = DEFAULT_MANIFEST_PATH;
  }

  let apiTokenValue = apiToken ?? nonEmpty(env.HUBIFY_TOKEN);
  let generatedToken = false;
  if (apiTokenValue === null) {
    apiTokenValue = randomToken();
    generatedToken = true;
  }

  const tokenCacheSeconds =
    parsePositiveNumber('HUBIFY_TOKEN_CACHE_SECONDS', env.HUBIFY_TOKEN_CACHE_SECONDS, problems) ?? 60;
  const stopGraceMs = parsePositiveNumber('HUBIFY_STOP_GRACE_MS', env.HUBIFY_STOP_GRACE_MS, problems) ?? 3000;
  const headersTimeoutMs =
    parsePositiveNumber('HUBIFY_HEADERS_TIMEOUT_MS', env.HUBIFY_HEADERS_TIMEOUT_MS, problems) ?? 30_000;

  const adminAccess = parseBool('JUPYTERHUB_ADMIN_ACCESS', env.JUPYTERHUB_ADMIN_ACCESS, problems) === true;
  const cookieOptions = parseCookieOptions(env.JUPYTERHUB_COOKIE_OPTIONS, problems);
  const cookieHostPrefix =
    parseBool(
      'JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED',
      env.JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED,
      problems,
    ) === true;
  const allowTokenInUrl = parseBool(
    'JUPYTERHUB_ALLOW_TOKEN_IN_URL',
    env.JUPYTERHUB_ALLOW_TOKEN_IN_URL,
    problems,
  );
  const allowWebsocketCookieAuth =
    parseBool(
      'JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH',
      env.JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH,
      problems,
    ) ?? true;

  if (problems.length > 0) throw new ConfigError(problems);

  return Object.freeze({
    mode,
    ip,
    port,
    prefix,
    user,
    serverName,
    apiToken: apiTokenValue,
    apiUrl: apiUrl === null ? null : apiUrl.replace(/\/+$/, ''),
    hubHost: env.JUPYTERHUB_HOST ?? '',
    hubBaseUrl: withTrailingSlash(nonEmpty(env.JUPYTERHUB_BASE_URL) ?? '/'),
    clientId,
    oauthCallbackUrl,
    oauthCallbackPath,
    accessScopes,
    activityUrl: nonEmpty(env.JUPYTERHUB_ACTIVITY_URL),
    activityIntervalSeconds: interval ?? 300,
    adminAccess,
    group: nonEmpty(env.JUPYTERHUB_GROUP),
    cookieOptions,
    cookieHostPrefix,
    allowTokenInUrl,
    allowWebsocketCookieAuth,
    publicUrl: nonEmpty(env.JUPYTERHUB_PUBLIC_URL),
    defaultUrl: nonEmpty(env.JUPYTERHUB_DEFAULT_URL) ?? flags.defaultUrl,
    rootDir: nonEmpty(env.JUPYTERHUB_ROOT_DIR) ?? flags.rootDir,
    tls,
    debug,
    logLevel: levelText as LogLevel,
    manifestPath,
    quickApps,
    tokenCacheSeconds,
    stopGraceMs,
    headersTimeoutMs,
    ignoredFlags: flags.ignored,
    generatedToken,
  });
}

function randomToken(): string {
  const bytes = new Uint8Array(24);
  crypto.getRandomValues(bytes);
  return Buffer.from(bytes).toString('hex');
}
