// Start-up configuration (proxy/config.ts): hub 1.x flags and Jupyter flags admins add, the spawner
// environment of hub 2.x-6.x, standalone mode, all problems reported at once, and `--app` commands.
import { describe, expect, it } from 'vitest';

import {
  ConfigError,
  loadConfig,
  parseCommandLine,
  parseQuickApp,
  type CommandLineFlags,
} from '../../proxy/config.ts';

function runFlags(argv: string[] = []): CommandLineFlags {
  const parsed = parseCommandLine(argv);
  if (parsed.kind !== 'run') throw new Error(`expected run, got ${parsed.kind}`);
  return parsed.flags;
}

/** A hub 5.x spawner environment for alice's default server. */
const HUB_ENV: Record<string, string> = {
  JUPYTERHUB_API_TOKEN: 'server-token',
  JPY_API_TOKEN: 'server-token',
  JUPYTERHUB_API_URL: 'http://hub:8081/hub/api',
  JUPYTERHUB_BASE_URL: '/',
  JUPYTERHUB_HOST: '',
  JUPYTERHUB_SERVICE_PREFIX: '/user/alice/',
  JUPYTERHUB_SERVICE_URL: 'http://0.0.0.0:8888/user/alice/',
  JUPYTERHUB_CLIENT_ID: 'jupyterhub-user-alice',
  JUPYTERHUB_OAUTH_CALLBACK_URL: '/user/alice/oauth_callback',
  JUPYTERHUB_OAUTH_SCOPES: '["access:servers!server=alice/", "access:servers!user=alice"]',
  JUPYTERHUB_OAUTH_ACCESS_SCOPES: '["access:servers!server=alice/", "access:servers!user=alice"]',
  JUPYTERHUB_OAUTH_CLIENT_ALLOWED_SCOPES: '[]',
  JUPYTERHUB_USER: 'alice',
  JUPYTERHUB_SERVER_NAME: '',
  JUPYTERHUB_ACTIVITY_URL: 'http://hub:8081/hub/api/users/alice/activity',
  JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '0',
  JUPYTERHUB_PUBLIC_URL: '',
  JUPYTERHUB_PUBLIC_HUB_URL: '',
};

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseCommandLine', () => {
  it('reads the flags hub 1.x appends', () => {
    const flags = runFlags([
      '--ip=10.1.2.3',
      '--port=8889',
      '--notebook-dir=/home/alice/work',
      '--SingleUserNotebookApp.default_url=/rstudio/',
      '--debug',
      '--disable-user-config',
    ]);
    expect(flags).toEqual({
      ip: '10.1.2.3',
      port: '8889',
      baseUrl: null,
      defaultUrl: '/rstudio/',
      rootDir: '/home/alice/work',
      debug: true,
      logLevel: null,
      manifest: null,
      apps: [],
      ignored: [],
    });
  });

  it('accepts space-separated values for its own flags', () => {
    const flags = runFlags([
      '--ip',
      '127.0.0.1',
      '--port',
      '9000',
      '--log-level',
      'warn',
      '--manifest',
      '/m.yaml',
    ]);
    expect(flags).toMatchObject({ ip: '127.0.0.1', port: '9000', logLevel: 'warn', manifest: '/m.yaml' });
  });

  it('maps ServerApp / NotebookApp / LabApp options onto the same settings', () => {
    expect(
      runFlags(['--ServerApp.ip=0.0.0.0', '--ServerApp.port=8890', '--ServerApp.base_url=/user/bob/']),
    ).toMatchObject({
      ip: '0.0.0.0',
      port: '8890',
      baseUrl: '/user/bob/',
      ignored: [],
    });
    expect(runFlags(['--NotebookApp.default_url=/lab', '--ServerApp.root_dir=/srv'])).toMatchObject({
      defaultUrl: '/lab',
      rootDir: '/srv',
    });
    expect(runFlags(['--NotebookApp.notebook_dir=/nb', '--LabApp.default_url=/x'])).toMatchObject({
      rootDir: '/nb',
      defaultUrl: '/x',
    });
  });

  it('tolerates unknown Jupyter flags into `ignored`, and --allow-root / --no-browser silently', () => {
    const flags = runFlags([
      '--NotebookApp.allow_origin=*',
      '--ServerApp.token=',
      '--allow-root',
      '--no-browser',
      '--SingleUserNotebookApp.something_else=1',
    ]);
    expect(flags.ignored).toEqual([
      '--NotebookApp.allow_origin=*',
      '--ServerApp.token=',
      '--SingleUserNotebookApp.something_else=1',
    ]);
    expect(flags.ip).toBeNull();
  });

  it('collects --app repeatedly, in order, in both spellings', () => {
    expect(runFlags(['--app', 'a=cmd one', '--app=b=cmd two', '--app', "c=sh -c 'x'"]).apps).toEqual([
      'a=cmd one',
      'b=cmd two',
      "c=sh -c 'x'",
    ]);
  });

  it('answers --help, -h and --version', () => {
    expect(parseCommandLine(['--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['-h'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--ip=1.2.3.4', '--help'])).toEqual({ kind: 'help' });
    expect(parseCommandLine(['--version'])).toEqual({ kind: 'version' });
  });

  it('keeps positional arguments as ignored instead of failing', () => {
    expect(runFlags(['extra', '--debug']).ignored).toEqual(['extra']);
  });

  it('returns empty flags for no arguments', () => {
    expect(runFlags([])).toEqual({
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
    });
  });
});

describe('loadConfig: hub mode', () => {
  it('reads a hub 5.x environment', () => {
    const config = loadConfig(runFlags(), HUB_ENV);
    expect(config).toMatchObject({
      mode: 'hub',
      ip: '0.0.0.0',
      port: 8888,
      prefix: '/user/alice/',
      user: 'alice',
      serverName: '',
      apiToken: 'server-token',
      apiUrl: 'http://hub:8081/hub/api',
      hubHost: '',
      hubBaseUrl: '/',
      clientId: 'jupyterhub-user-alice',
      oauthCallbackUrl: '/user/alice/oauth_callback',
      oauthCallbackPath: '/user/alice/oauth_callback',
      accessScopes: ['access:servers!server=alice/', 'access:servers!user=alice'],
      activityUrl: 'http://hub:8081/hub/api/users/alice/activity',
      activityIntervalSeconds: 300,
      adminAccess: false,
      group: null,
      cookieHostPrefix: false,
      allowWebsocketCookieAuth: true,
      allowTokenInUrl: null,
      publicUrl: null,
      tls: null,
      debug: false,
      logLevel: 'info',
      tokenCacheSeconds: 60,
      generatedToken: false,
    });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('binds to the host and port of JUPYTERHUB_SERVICE_URL in all its forms', () => {
    const bind = (url: string) => {
      const config = loadConfig(runFlags(['--ip=9.9.9.9', '--port=1']), {
        ...HUB_ENV,
        JUPYTERHUB_SERVICE_URL: url,
      });
      return [config.ip, config.port];
    };
    expect(bind('http://0.0.0.0:8888/user/a/')).toEqual(['0.0.0.0', 8888]);
    expect(bind('http://127.0.0.1:54321/user/alice/')).toEqual(['127.0.0.1', 54321]);
    expect(bind('http://[::1]:9000/')).toEqual(['::1', 9000]);
    expect(bind('http://[::]:9001/user/a/')).toEqual(['::', 9001]);
    expect(bind('http://:8888/')).toEqual(['::', 8888]);
    expect(bind('http://:8888/user/alice/')).toEqual(['::', 8888]);
    expect(bind('http://jupyter-alice:8888/')).toEqual(['jupyter-alice', 8888]);
    expect(bind('http://0.0.0.0/')).toEqual(['0.0.0.0', 80]);
  });

  it('https service URLs need the internal SSL files', () => {
    const ssl = {
      JUPYTERHUB_SSL_KEYFILE: '/certs/key.pem',
      JUPYTERHUB_SSL_CERTFILE: '/certs/cert.pem',
      JUPYTERHUB_SSL_CLIENT_CA: '/certs/ca.pem',
    };
    const config = loadConfig(runFlags(), {
      ...HUB_ENV,
      ...ssl,
      JUPYTERHUB_SERVICE_URL: 'https://0.0.0.0:8443/user/alice/',
    });
    expect(config.port).toBe(8443);
    expect(config.tls).toEqual({
      keyFile: '/certs/key.pem',
      certFile: '/certs/cert.pem',
      clientCaFile: '/certs/ca.pem',
    });
    expect(
      loadConfig(runFlags(), { ...HUB_ENV, ...ssl, JUPYTERHUB_SERVICE_URL: 'https://:8443/' }),
    ).toMatchObject({
      ip: '::',
      port: 8443,
    });
    expect(
      problemsOf(() =>
        loadConfig(runFlags(), { ...HUB_ENV, JUPYTERHUB_SERVICE_URL: 'https://0.0.0.0:8443/' }),
      ),
    ).toEqual([expect.stringMatching(/https but no JUPYTERHUB_SSL_/)]);
    expect(problemsOf(() => loadConfig(runFlags(), { ...HUB_ENV, JUPYTERHUB_SSL_KEYFILE: '/k' }))).toEqual([
      expect.stringMatching(/needs all of/),
    ]);
    expect(
      loadConfig(runFlags(), { ...HUB_ENV, JUPYTERHUB_SERVICE_URL: 'https://[::1]:443/', ...ssl }).port,
    ).toBe(443);
  });

  it('falls back to hub 1.x flags when there is no service URL; env beats flags elsewhere too', () => {
    const env = { ...HUB_ENV };
    delete env.JUPYTERHUB_SERVICE_URL;
    const flags = runFlags([
      '--ip=10.0.0.5',
      '--port=8890',
      '--SingleUserNotebookApp.default_url=/lab',
      '--notebook-dir=/flag/dir',
      '--ServerApp.base_url=/flag/prefix/',
    ]);
    const config = loadConfig(flags, env);
    expect(config).toMatchObject({
      ip: '10.0.0.5',
      port: 8890,
      defaultUrl: '/lab',
      rootDir: '/flag/dir',
      prefix: '/user/alice/',
    });
    const envWins = loadConfig(flags, {
      ...env,
      JUPYTERHUB_DEFAULT_URL: '/rstudio/',
      JUPYTERHUB_ROOT_DIR: '~/work',
    });
    expect(envWins).toMatchObject({ defaultUrl: '/rstudio/', rootDir: '~/work' });
    const noPrefix = { ...env };
    delete noPrefix.JUPYTERHUB_SERVICE_PREFIX;
    expect(loadConfig(flags, noPrefix).prefix).toBe('/flag/prefix/');
  });

  it('hub 1.x: JPY_API_TOKEN alone, derived client id and callback, name-based access', () => {
    const config = loadConfig(runFlags(['--ip=0.0.0.0', '--port=8888']), {
      JPY_API_TOKEN: 'legacy',
      JUPYTERHUB_API_URL: 'http://127.0.0.1:8081/hub/api/',
      JUPYTERHUB_SERVICE_PREFIX: '/user/b%C3%B6b',
      JUPYTERHUB_USER: 'böb',
      JUPYTERHUB_ADMIN_ACCESS: '1',
      JUPYTERHUB_GROUP: 'staff',
    });
    expect(config).toMatchObject({
      mode: 'hub',
      apiToken: 'legacy',
      apiUrl: 'http://127.0.0.1:8081/hub/api',
      prefix: '/user/b%C3%B6b/',
      clientId: 'jupyterhub-user-b%C3%B6b',
      oauthCallbackUrl: '/user/b%C3%B6b/oauth_callback',
      oauthCallbackPath: '/user/b%C3%B6b/oauth_callback',
      accessScopes: null,
      adminAccess: true,
      group: 'staff',
    });
  });

  it('named servers and subdomain hubs: absolute callback URL, its path is answered', () => {
    const config = loadConfig(runFlags(), {
      ...HUB_ENV,
      JUPYTERHUB_SERVER_NAME: 'gpu',
      JUPYTERHUB_SERVICE_PREFIX: '/user/alice/gpu/',
      JUPYTERHUB_HOST: 'https://alice.hub.example.org',
      JUPYTERHUB_OAUTH_CALLBACK_URL: 'https://alice.hub.example.org/user/alice/gpu/oauth_callback',
      JUPYTERHUB_BASE_URL: '/jupyter',
    });
    expect(config).toMatchObject({
      serverName: 'gpu',
      hubHost: 'https://alice.hub.example.org',
      hubBaseUrl: '/jupyter/',
      oauthCallbackUrl: 'https://alice.hub.example.org/user/alice/gpu/oauth_callback',
      oauthCallbackPath: '/user/alice/gpu/oauth_callback',
    });
  });

  it('prefers JUPYTERHUB_OAUTH_ACCESS_SCOPES over the old JUPYTERHUB_OAUTH_SCOPES', () => {
    const both = loadConfig(runFlags(), {
      ...HUB_ENV,
      JUPYTERHUB_OAUTH_ACCESS_SCOPES: '["access:servers!server=alice/new"]',
      JUPYTERHUB_OAUTH_SCOPES: '["access:servers!server=alice/old"]',
    });
    expect(both.accessScopes).toEqual(['access:servers!server=alice/new']);
    const oldOnly: Record<string, string> = {
      ...HUB_ENV,
      JUPYTERHUB_OAUTH_SCOPES: '["access:servers!user=alice"]',
    };
    delete oldOnly.JUPYTERHUB_OAUTH_ACCESS_SCOPES;
    expect(loadConfig(runFlags(), oldOnly).accessScopes).toEqual(['access:servers!user=alice']);
    const emptyNew = { ...HUB_ENV, JUPYTERHUB_OAUTH_ACCESS_SCOPES: '', JUPYTERHUB_OAUTH_SCOPES: '["x"]' };
    expect(loadConfig(runFlags(), emptyNew).accessScopes).toEqual(['x']);
    expect(
      problemsOf(() => loadConfig(runFlags(), { ...HUB_ENV, JUPYTERHUB_OAUTH_ACCESS_SCOPES: '[1, 2]' })),
    ).toEqual([expect.stringMatching(/JUPYTERHUB_OAUTH_ACCESS_SCOPES must be a JSON list of strings/)]);
  });

  it('parses JUPYTERHUB_COOKIE_OPTIONS the way tornado spells them', () => {
    const parse = (json: string) =>
      loadConfig(runFlags(), { ...HUB_ENV, JUPYTERHUB_COOKIE_OPTIONS: json }).cookieOptions;
    expect(parse('{"SameSite": "None", "Secure": true}')).toEqual({
      sameSite: 'None',
      secure: true,
      maxAgeSeconds: null,
      domain: null,
    });
    expect(parse('{"samesite": "strict", "expires_days": 7, "domain": ".example.org"}')).toEqual({
      sameSite: 'Strict',
      secure: null,
      maxAgeSeconds: 7 * 86_400,
      domain: '.example.org',
    });
    expect(parse('{"max_age": 3600, "SameSite": "LAX", "secure": false}')).toEqual({
      sameSite: 'Lax',
      secure: false,
      maxAgeSeconds: 3600,
      domain: null,
    });
    expect(parse('{"SameSite": "bogus", "httponly": true}').sameSite).toBeNull();
  });

  it('reads the boolean switches', () => {
    const config = loadConfig(runFlags(), {
      ...HUB_ENV,
      JUPYTERHUB_COOKIE_HOST_PREFIX_ENABLED: '1',
      JUPYTERHUB_ALLOW_TOKEN_IN_URL: 'false',
      JUPYTERHUB_ALLOW_WEBSOCKET_COOKIE_AUTH: '0',
      JUPYTERHUB_DEBUG: 'yes',
      JUPYTERHUB_PUBLIC_URL: 'https://hub.example.org/user/alice/',
    });
    expect(config).toMatchObject({
      cookieHostPrefix: true,
      allowTokenInUrl: false,
      allowWebsocketCookieAuth: false,
      debug: true,
      logLevel: 'debug',
      publicUrl: 'https://hub.example.org/user/alice/',
    });
    expect(loadConfig(runFlags(['--debug']), HUB_ENV).logLevel).toBe('debug');
    expect(loadConfig(runFlags(['--debug', '--log-level=warn']), HUB_ENV).logLevel).toBe('warn');
  });

  it('reports all problems at once in one ConfigError', () => {
    let caught: unknown;
    try {
      loadConfig(runFlags(['--port=99999']), {
        ...HUB_ENV,
        JUPYTERHUB_SERVICE_URL: '',
        JUPYTERHUB_ACTIVITY_INTERVAL: 'often',
        HUBIFY_LOG_LEVEL: 'loud',
        JUPYTERHUB_DEBUG: 'perhaps',
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.problems).toHaveLength(4);
    expect(error.problems).toEqual([
      expect.stringMatching(/port "99999"/),
      expect.stringMatching(/JUPYTERHUB_ACTIVITY_INTERVAL="often"/),
      expect.stringMatching(/JUPYTERHUB_DEBUG="perhaps" is not a boolean/),
      expect.stringMatching(/log level "loud"/),
    ]);
    expect(error.message).toContain('4 configuration problem(s)');
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  it('reports three bad values from three sources together', () => {
    const problems = problemsOf(() =>
      loadConfig(runFlags(['--app', 'Bad Name=x']), {
        ...HUB_ENV,
        JUPYTERHUB_SERVICE_URL: 'not a url',
        HUBIFY_TOKEN_CACHE_SECONDS: '-5',
      }),
    );
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/JUPYTERHUB_SERVICE_URL="not a url" is not a URL/);
    expect(problems.join('\n')).toMatch(/--app "Bad Name=x"/);
    expect(problems.join('\n')).toMatch(/HUBIFY_TOKEN_CACHE_SECONDS="-5" must be a positive number/);
  });

  it('refuses an incomplete spawner environment', () => {
    const env = { ...HUB_ENV };
    delete env.JUPYTERHUB_API_URL;
    expect(problemsOf(() => loadConfig(runFlags(), env))).toEqual([
      expect.stringMatching(/JUPYTERHUB_API_URL is not set/),
    ]);
  });

  it('reads the activity interval and the runtime’s own numbers', () => {
    const config = loadConfig(runFlags(), {
      ...HUB_ENV,
      JUPYTERHUB_ACTIVITY_INTERVAL: '60',
      HUBIFY_TOKEN_CACHE_SECONDS: '300',
      HUBIFY_STOP_GRACE_MS: '500',
    });
    expect(config).toMatchObject({ activityIntervalSeconds: 60, tokenCacheSeconds: 300, stopGraceMs: 500 });
  });

  it('records ignored flags for the start-up warning', () => {
    expect(loadConfig(runFlags(['--NotebookApp.allow_origin=*']), HUB_ENV).ignoredFlags).toEqual([
      '--NotebookApp.allow_origin=*',
    ]);
  });
});

describe('loadConfig: standalone mode', () => {
  it('runs without a hub: generated token, root prefix, HUBIFY_* settings', () => {
    const config = loadConfig(runFlags(), {
      HUBIFY_IP: '127.0.0.1',
      HUBIFY_PORT: '9999',
      HUBIFY_USER: 'jo',
      USER: 'root',
    });
    expect(config).toMatchObject({
      mode: 'standalone',
      ip: '127.0.0.1',
      port: 9999,
      prefix: '/',
      user: 'jo',
      apiUrl: null,
      accessScopes: null,
      activityUrl: null,
      generatedToken: true,
    });
    expect(config.apiToken).toMatch(/^[0-9a-f]{48}$/);
    const other = loadConfig(runFlags(), { HUBIFY_IP: '127.0.0.1' });
    expect(other.apiToken).not.toBe(config.apiToken);
  });

  it('uses HUBIFY_TOKEN when given, and falls back to $USER then jovyan', () => {
    const config = loadConfig(runFlags(), { HUBIFY_IP: '127.0.0.1', HUBIFY_TOKEN: 'mine', USER: 'sam' });
    expect(config).toMatchObject({ apiToken: 'mine', generatedToken: false, user: 'sam' });
    expect(loadConfig(runFlags(), { HUBIFY_IP: '127.0.0.1' }).user).toBe('jovyan');
  });

  it('flags beat HUBIFY_IP / HUBIFY_PORT; the default port is 8888', () => {
    expect(
      loadConfig(runFlags(['--ip=::1', '--port=7000']), { HUBIFY_IP: '127.0.0.1', HUBIFY_PORT: '9' }),
    ).toMatchObject({
      ip: '::1',
      port: 7000,
    });
    expect(loadConfig(runFlags(), { HUBIFY_IP: '127.0.0.1' }).port).toBe(8888);
  });

  it('turns --app flags into quick apps and skips the default manifest', () => {
    const config = loadConfig(runFlags(['--app', 'web=python3 -m http.server {port}']), {
      HUBIFY_IP: '127.0.0.1',
    });
    expect(config.quickApps).toEqual([{ name: 'web', command: ['python3', '-m', 'http.server', '{port}'] }]);
    expect(config.manifestPath).toBeNull();
    expect(loadConfig(runFlags(['--manifest=/x.yaml']), { HUBIFY_IP: '127.0.0.1' }).manifestPath).toBe(
      '/x.yaml',
    );
    expect(loadConfig(runFlags(), { HUBIFY_IP: '127.0.0.1', HUBIFY_MANIFEST: '/y.json' }).manifestPath).toBe(
      '/y.json',
    );
  });
});

describe('parseQuickApp', () => {
  function quick(text: string) {
    const problems: string[] = [];
    return { app: parseQuickApp(text, problems), problems };
  }

  it('splits the command shell-style, with quotes', () => {
    expect(quick(`lab=jupyter lab --ServerApp.base_url="{base_url}" --port {port}`).app).toEqual({
      name: 'lab',
      command: ['jupyter', 'lab', '--ServerApp.base_url={base_url}', '--port', '{port}'],
    });
    expect(quick(`web=sh -c 'exec python3 -m http.server "$PORT" | tee log'`).app).toEqual({
      name: 'web',
      command: ['sh', '-c', 'exec python3 -m http.server "$PORT" | tee log'],
    });
    expect(quick(`a=echo "two words" 'single quoted' plain\\ escaped`).app?.command).toEqual([
      'echo',
      'two words',
      'single quoted',
      'plain escaped',
    ]);
    expect(quick('x1=cmd --opt=a=b').app).toEqual({ name: 'x1', command: ['cmd', '--opt=a=b'] });
  });

  it.each([
    ['pipe', 'web=python3 app.py | tee log'],
    ['and', 'web=cd /srv && python3 app.py'],
    ['or', 'web=a || b'],
    ['redirect', 'web=python3 app.py > log'],
    ['input redirect', 'web=python3 app.py < in'],
    ['sequence', 'web=a ; b'],
    ['background', 'web=a &'],
    ['glob', 'web=ls *.txt'],
    ['subshell', 'web=(a)'],
    ['comment', 'web=a # comment'],
  ])('refuses shell operators: %s', (_label, text) => {
    const { app, problems } = quick(text);
    expect(app).toBeNull();
    expect(problems).toEqual([expect.stringMatching(/shell operators .* sh -c/)]);
  });

  it('does not silently replace $VARIABLES with empty strings', () => {
    // Environment expansion is a shell feature like the operators above: either refuse it (and say
    // "use sh -c") or keep the text. shell-quote without an env expands it to "" and the app is
    // started with an empty argument instead of the port.
    const { app, problems } = quick('web=python3 -m http.server $PORT');
    expect(app === null ? problems.length : app.command).toEqual(
      app === null ? 1 : ['python3', '-m', 'http.server', '$PORT'],
    );
    expect(app?.command ?? []).not.toContain('');
  });

  it('refuses bad names and empty commands', () => {
    for (const text of [
      '=cmd',
      'Web=cmd',
      'web',
      'we_b=cmd',
      '-web=cmd',
      `${'a'.repeat(64)}=cmd`,
      'a b=cmd',
    ]) {
      const { app, problems } = quick(text);
      expect(app, text).toBeNull();
      expect(problems, text).toEqual([expect.stringMatching(/expected NAME=COMMAND/)]);
    }
    const empty = quick('web=');
    expect(empty.app).toBeNull();
    expect(empty.problems).toEqual([expect.stringMatching(/command is empty/)]);
    expect(quick('web=   ').problems).toEqual([expect.stringMatching(/command is empty/)]);
  });
});
