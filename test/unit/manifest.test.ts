import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLACEHOLDER_NAMES, RESERVED_APP_NAMES, type AppSpec } from '../../proxy/app-spec.ts';
import { APP_DEFAULTS, IMAGE_DEFAULTS } from '../../schemas/manifest-defaults.ts';
import { SCHEMA_PATTERN_WORDS } from '../../schemas/manifest-schema-errors.ts';
import {
  MANIFEST_ISSUE_CODES,
  checkManifestData,
  expandPlaceholders,
  formatManifestIssues,
  loadManifestFile,
  parseManifestText,
  type ManifestIssue,
  type ManifestResult,
} from '../../schemas/manifest.ts';

const root = join(import.meta.dirname, '..', '..');
const fixtures = join(root, 'test', 'fixtures', 'manifests');
type Json = Record<string, unknown>;
const schema = JSON.parse(readFileSync(join(root, 'schemas', 'manifest.v1.schema.json'), 'utf8')) as Json;
const appSchema = (schema.$defs as Json).app as Json;

function valid(result: ManifestResult) {
  if (!result.ok) throw new Error(formatManifestIssues(result.issues, result.source));
  return result;
}

function invalid(result: ManifestResult) {
  if (result.ok) throw new Error(`${result.source} was expected to be invalid`);
  return result;
}

function issuesOf(text: string): ManifestIssue[] {
  return invalid(parseManifestText(text, 'inline.yaml')).issues;
}

/** Every subschema of the schema, with a readable location. */
function* subschemas(node: unknown, at = '#'): Generator<[string, Json]> {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) yield* subschemas(item, `${at}/${i}`);
    return;
  }
  const object = node as Json;
  yield [at, object];
  for (const key of ['properties', '$defs']) {
    for (const [name, child] of Object.entries((object[key] as Json | undefined) ?? {})) {
      yield* subschemas(child, `${at}/${key}/${name}`);
    }
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames', 'not', 'anyOf']) {
    if (key in object) yield* subschemas(object[key], `${at}/${key}`);
  }
}

const DEFAULT_APP: Omit<AppSpec, 'name' | 'title' | 'listen'> = {
  description: '',
  icon: null,
  command: [],
  environment: {},
  cwd: null,
  stripPrefix: true,
  mappath: {},
  readiness: { path: '/', status: [], timeoutSeconds: 30 },
  start: 'lazy',
  restart: {
    policy: 'on-failure',
    maxRestarts: 5,
    windowSeconds: 300,
    backoffSeconds: 1,
    maxBackoffSeconds: 30,
  },
  identityHeaders: true,
  requestHeaders: {},
  requestTimeoutSeconds: 300,
  activity: { enabled: true, exclude: [] },
  launcher: { show: true, category: 'Apps', order: 0, pathInfo: '', newBrowserTab: true },
};

describe('valid manifests', () => {
  const files = readdirSync(join(fixtures, 'valid'));

  it.each(files)('%s is valid', async (file) => {
    const result = valid(await loadManifestFile(join(fixtures, 'valid', file)));
    expect(result.manifest.schemaVersion).toBe(1);
  });

  it('has YAML and JSON fixtures', () => {
    expect(files.some((file) => file.endsWith('.yaml'))).toBe(true);
    expect(files.some((file) => file.endsWith('.json'))).toBe(true);
  });

  it('fills every default of a minimal app', () => {
    const result = valid(
      parseManifestText('schemaVersion: 1\napps:\n  - name: lab\n    command: [lab, "--port={port}"]\n', 'x'),
    );
    expect(result.warnings).toEqual([]);
    expect(result.manifest).toEqual({
      schemaVersion: 1,
      defaultApp: null,
      image: null,
      runtime: { activityIntervalSeconds: null, logLevel: null },
      apps: [
        {
          ...DEFAULT_APP,
          name: 'lab',
          title: 'lab',
          command: ['lab', '--port={port}'],
          listen: { kind: 'port', port: 0 },
        },
      ],
    });
  });

  it('normalises every property of full.yaml', async () => {
    const { manifest } = valid(await loadManifestFile(join(fixtures, 'valid', 'full.yaml')));
    expect(manifest.defaultApp).toBe('rstudio');
    expect(manifest.image).toEqual({
      entrypoint: ['/usr/bin/tini', '--'],
      cmd: ['start-notebook.sh'],
      user: 'jovyan',
      workdir: '/home/jovyan',
      env: { LANG: 'C.UTF-8' },
    });
    expect(manifest.runtime).toEqual({ activityIntervalSeconds: 60, logLevel: 'debug' });
    const [rstudio, shiny, legacy] = manifest.apps;
    expect(rstudio).toEqual({
      name: 'rstudio',
      title: 'RStudio',
      description: 'The RStudio IDE for R.',
      icon: '/usr/share/icons/rstudio.svg',
      command: [
        'rserver',
        '--www-port={port}',
        '--www-root-path={app_url}',
        '--server-user={user}',
        '--literal={{braces}}',
      ],
      environment: { RSTUDIO_HOME: '{home}/.rstudio' },
      cwd: '{home}',
      listen: { kind: 'port', port: 0 },
      stripPrefix: false,
      mappath: { '/': '/auth-sign-in' },
      readiness: { path: '/health-check', status: [200, 302], timeoutSeconds: 120 },
      start: 'eager',
      restart: {
        policy: 'always',
        maxRestarts: 10,
        windowSeconds: 600,
        backoffSeconds: 2,
        maxBackoffSeconds: 60,
      },
      identityHeaders: false,
      requestHeaders: { 'X-RStudio-Root-Path': '{app_url}' },
      requestTimeoutSeconds: 600,
      activity: { enabled: true, exclude: ['^/events/get_events', '/heartbeat$'] },
      launcher: { show: true, category: 'IDEs', order: 10, pathInfo: '', newBrowserTab: false },
    } satisfies AppSpec);
    expect(shiny?.listen).toEqual({ kind: 'unix-socket', path: null });
    expect(shiny?.readiness.status).toEqual([200]);
    expect(legacy?.listen).toEqual({ kind: 'unix-socket', path: '/run/legacy/app.sock' });
    expect(legacy?.launcher.show).toBe(false);
  });

  it('reads JSON and the same manifest in YAML alike', async () => {
    const json = valid(await loadManifestFile(join(fixtures, 'valid', 'two-apps.json')));
    const data = JSON.parse(readFileSync(join(fixtures, 'valid', 'two-apps.json'), 'utf8')) as unknown;
    expect(valid(checkManifestData(data, 'data')).manifest).toEqual(json.manifest);
  });

  it('accepts an app without a command when it names a fixed port', async () => {
    const { manifest } = valid(await loadManifestFile(join(fixtures, 'valid', 'already-running.yaml')));
    expect(manifest.apps[0]?.command).toEqual([]);
    expect(manifest.apps[0]?.listen).toEqual({ kind: 'port', port: 8050 });
  });
});

describe('invalid manifests', () => {
  it('reports every problem of many-problems.yaml at once, each complete', async () => {
    const { issues } = invalid(await loadManifestFile(join(fixtures, 'invalid', 'many-problems.yaml')));
    const expected: Partial<ManifestIssue>[] = [
      {
        path: 'defaultApp',
        rule: 'default-app-exists',
        value: 'notebook',
        code: 'HUBIFY_MANIFEST_UNKNOWN_DEFAULT_APP',
      },
      { path: 'apps[0].port', rule: 'type', value: '88a', code: 'HUBIFY_MANIFEST_TYPE' },
      {
        path: 'apps[0].prot',
        rule: 'additionalProperties',
        value: 8888,
        code: 'HUBIFY_MANIFEST_UNKNOWN_PROPERTY',
      },
      { path: 'apps[1].name', rule: 'unique-app-names', value: 'lab', code: 'HUBIFY_MANIFEST_DUPLICATE_APP' },
      {
        path: 'apps[1].command[1]',
        rule: 'known-placeholders',
        value: '--www-port={prot}',
        code: 'HUBIFY_MANIFEST_UNKNOWN_PLACEHOLDER',
      },
      { path: 'apps[2].name', rule: 'not', value: 'api', code: 'HUBIFY_MANIFEST_RESERVED_NAME' },
    ];
    expect(issues.map(({ path, rule, value, code }) => ({ path, rule, value, code }))).toEqual(expected);
    for (const issue of issues) {
      expect(issue.message).not.toBe('');
      expect(issue.hint).toMatch(/\S/);
      expect(issue.line).toBeGreaterThan(0);
      expect(issue.column).toBeGreaterThan(0);
    }
    expect(issues[1]?.message).toBe('must be an integer from 0 to 65535, got "88a"');
    expect(issues[1]).toMatchObject({ line: 7, column: 11 });
    expect(issues[2]?.hint).toBe('Did you mean "port"?');
    expect(issues[4]?.hint).toContain('Did you mean {port}?');
  });

  it('reports a YAML syntax error with its line and column', async () => {
    // `.txt` so that `prettier --check .` skips it: Prettier cannot parse broken YAML. hubify ignores extensions.
    const { issues } = invalid(await loadManifestFile(join(fixtures, 'invalid', 'syntax-error.yaml.txt')));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      path: '',
      rule: 'yaml-syntax',
      code: 'HUBIFY_MANIFEST_SYNTAX',
      line: 5,
      column: 5,
      value: 'port: 8888',
    });
    expect(issues[0]?.message).toMatch(/^is not valid YAML or JSON: /);
  });

  it('reports every problem of wrong-types.json, with paths into maps and lists', async () => {
    const { issues } = invalid(await loadManifestFile(join(fixtures, 'invalid', 'wrong-types.json')));
    expect(issues.map(({ path, code }) => `${path} ${code}`)).toEqual([
      'schemaVersion HUBIFY_MANIFEST_SCHEMA_VERSION',
      'runtime.activityInterval HUBIFY_MANIFEST_RANGE',
      'runtime.logLevel HUBIFY_MANIFEST_ENUM',
      'apps[0].name HUBIFY_MANIFEST_FORMAT',
      'apps[0].command HUBIFY_MANIFEST_TYPE',
      'apps[0].unixSocket HUBIFY_MANIFEST_FORMAT',
      'apps[0].environment["BAD-NAME"] HUBIFY_MANIFEST_FORMAT',
      'apps[0].environment.COUNT HUBIFY_MANIFEST_TYPE',
      'apps[0].readiness.path HUBIFY_MANIFEST_RELATIVE_PATH',
      'apps[0].readiness.status[1] HUBIFY_MANIFEST_TYPE',
      'apps[0].start HUBIFY_MANIFEST_ENUM',
      'apps[0].restart.backoff HUBIFY_MANIFEST_CONFLICT',
      'apps[0].activity.exclude[0] HUBIFY_MANIFEST_BAD_REGEX',
      'apps[0].launcher.pathInfo HUBIFY_MANIFEST_FORMAT',
      'apps[1].name HUBIFY_MANIFEST_MISSING_PROPERTY',
      'apps[1].port HUBIFY_MANIFEST_RANGE',
    ]);
    const byPath = new Map(issues.map((issue) => [issue.path, issue]));
    expect(byPath.get('apps[0].start')?.hint).toContain('Did you mean "eager"?');
    expect(byPath.get('apps[0].environment["BAD-NAME"]')?.value).toBe('BAD-NAME');
    expect(byPath.get('apps[1].name')?.value).toBeUndefined();
    expect(byPath.get('apps[0].unixSocket')?.message).toBe(
      'must be an absolute path (starting with /), got "relative.sock"',
    );
  });

  it('treats an empty file as a type problem of the whole document', async () => {
    const { issues } = invalid(await loadManifestFile(join(fixtures, 'invalid', 'empty.yaml')));
    expect(issues).toMatchObject([{ path: '', code: 'HUBIFY_MANIFEST_TYPE', message: 'is empty' }]);
  });

  it('reports a missing file as an issue, not an exception', async () => {
    const { issues } = invalid(await loadManifestFile(join(fixtures, 'nope.yaml')));
    expect(issues).toMatchObject([{ code: 'HUBIFY_MANIFEST_NOT_FOUND', rule: 'read-file' }]);
    const directory = invalid(await loadManifestFile(fixtures));
    expect(directory.issues).toMatchObject([{ code: 'HUBIFY_MANIFEST_UNREADABLE' }]);
  });

  it('rejects duplicate keys and several YAML documents', () => {
    expect(issuesOf('schemaVersion: 1\napps: []\napps: []\n')).toMatchObject([
      { code: 'HUBIFY_MANIFEST_SYNTAX', line: 3, column: 1 },
    ]);
    expect(issuesOf('schemaVersion: 1\napps: []\n---\nschemaVersion: 1\n')).toMatchObject([
      { code: 'HUBIFY_MANIFEST_SYNTAX', line: 3 },
    ]);
  });

  it('needs a fixed address for an app without a command', () => {
    const issues = issuesOf(
      'schemaVersion: 1\napps:\n  - name: a\n  - name: b\n    command: []\n    unixSocket: true\n  - name: c\n    port: 0\n',
    );
    expect(issues.map(({ path, code, rule }) => `${path} ${code} ${rule}`)).toEqual([
      'apps[0] HUBIFY_MANIFEST_NO_ADDRESS commandless-app-address',
      'apps[1] HUBIFY_MANIFEST_NO_ADDRESS commandless-app-address',
      'apps[2] HUBIFY_MANIFEST_NO_ADDRESS commandless-app-address',
    ]);
  });

  it('checks cwd, placeholders in every templated field, and anyOf type mismatches', () => {
    const issues = issuesOf(
      [
        'schemaVersion: 1',
        'apps:',
        '  - name: a',
        '    command: [a, "{port}", "${HOME}", "{{literal}}"]',
        '    cwd: work/{homedir}',
        '    environment: { A: "{usr}" }',
        '    requestHeaders: { X-A: "{app_url}{nope}" }',
        '    unixSocket: 3',
        '    readiness: { status: "200" }',
        '',
      ].join('\n'),
    );
    expect(issues.map(({ path, code }) => `${path} ${code}`)).toEqual([
      'apps[0].command[2] HUBIFY_MANIFEST_UNKNOWN_PLACEHOLDER',
      'apps[0].cwd HUBIFY_MANIFEST_RELATIVE_PATH',
      'apps[0].cwd HUBIFY_MANIFEST_UNKNOWN_PLACEHOLDER',
      'apps[0].environment.A HUBIFY_MANIFEST_UNKNOWN_PLACEHOLDER',
      'apps[0].requestHeaders["X-A"] HUBIFY_MANIFEST_UNKNOWN_PLACEHOLDER',
      'apps[0].unixSocket HUBIFY_MANIFEST_TYPE',
      'apps[0].readiness.status HUBIFY_MANIFEST_TYPE',
    ]);
    const byPath = new Map(issues.map((issue) => [issue.path, issue]));
    expect(byPath.get('apps[0].unixSocket')?.message).toBe(
      'must be true or false, or an absolute path (starting with /), got 3',
    );
    expect(byPath.get('apps[0].readiness.status')?.hint).toMatch(/^Write the number without quotes\./);
  });
});

describe('warnings', () => {
  it('warns when the app is never told the port or socket the runtime picks', () => {
    const result = valid(
      parseManifestText(
        'schemaVersion: 1\napps:\n  - name: a\n    command: [serve]\n  - name: b\n    command: [serve]\n    unixSocket: true\n',
        'x',
      ),
    );
    expect(result.warnings.map(({ path, code }) => `${path} ${code}`)).toEqual([
      'apps[0].command HUBIFY_MANIFEST_ADDRESS_NOT_PASSED',
      'apps[1].command HUBIFY_MANIFEST_ADDRESS_NOT_PASSED',
    ]);
  });

  it('does not warn when the environment passes the port, and warns about a port next to a socket', () => {
    const result = valid(
      parseManifestText(
        'schemaVersion: 1\napps:\n  - name: a\n    command: [serve]\n    environment: { PORT: "{port}" }\n' +
          '  - name: b\n    unixSocket: /tmp/b.sock\n    port: 80\n',
        'x',
      ),
    );
    expect(result.warnings.map(({ path, code }) => `${path} ${code}`)).toEqual([
      'apps[1].port HUBIFY_MANIFEST_PORT_IGNORED',
    ]);
  });
});

describe('formatManifestIssues', () => {
  it('prints a header, one line and one hint line per problem, and what to do', () => {
    const text = formatManifestIssues(
      issuesOf('schemaVersion: 1\napps:\n  - name: a\n    port: "88a"\n    command: [a]\n'),
      'hubify.yaml',
    );
    expect(text).toBe(
      [
        'hubify: hubify.yaml is invalid (1 problem)',
        '  apps[0].port  must be an integer from 0 to 65535, got "88a"  [HUBIFY_MANIFEST_TYPE]',
        '      Write an integer from 0 to 65535. For example: port: 8787  (hubify.yaml:4:11)',
        'Fix them and run again (schema: schemas/manifest.v1.schema.json).',
        '',
      ].join('\n'),
    );
  });
});

describe('the schema stays in step with the code', () => {
  it('reserves exactly RESERVED_APP_NAMES, and says so in the name description', () => {
    const name = (appSchema.properties as Json).name as Json;
    expect((name.not as Json).enum).toEqual([...RESERVED_APP_NAMES]);
    for (const reserved of RESERVED_APP_NAMES) expect(name.description).toContain(reserved);
  });

  it('documents every placeholder in the command description', () => {
    const command = (appSchema.properties as Json).command as Json;
    for (const placeholder of PLACEHOLDER_NAMES) expect(command.description).toContain(`{${placeholder}}`);
  });

  it('describes every property', () => {
    const missing: string[] = [];
    for (const [at, node] of subschemas(schema)) {
      for (const [key, property] of Object.entries((node.properties as Json | undefined) ?? {})) {
        if (typeof (property as Json).description !== 'string') missing.push(`${at}/properties/${key}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('forbids unknown properties in every object', () => {
    const open = [...subschemas(schema)]
      .filter(([, node]) => node.type === 'object' && node.properties !== undefined)
      .filter(([, node]) => node.additionalProperties !== false)
      .map(([at]) => at);
    expect(open).toEqual([]);
  });

  it('has words for every pattern', () => {
    const patterns = [...subschemas(schema)].flatMap(([, node]) =>
      typeof node.pattern === 'string' ? [node.pattern] : [],
    );
    expect(patterns.length).toBeGreaterThan(0);
    for (const pattern of patterns) expect(SCHEMA_PATTERN_WORDS).toHaveProperty([pattern]);
  });

  it('documents the same defaults the loader fills in', () => {
    const schemaDefaults = (properties: Json): Json =>
      Object.fromEntries(
        Object.entries(properties).flatMap(([key, value]) => {
          const property = value as Json;
          if ('default' in property) return [[key, property.default]];
          if (property.properties !== undefined) return [[key, schemaDefaults(property.properties as Json)]];
          return [];
        }),
      );
    const appDefaults = schemaDefaults(appSchema.properties as Json);
    delete appDefaults.readiness;
    expect(appDefaults).toEqual(
      Object.fromEntries(Object.entries(APP_DEFAULTS).filter(([k]) => k !== 'readiness')),
    );
    const readiness = ((appSchema.properties as Json).readiness as Json).properties as Json;
    expect(schemaDefaults(readiness)).toEqual(APP_DEFAULTS.readiness);
    const image = ((schema.properties as Json).image as Json).properties as Json;
    expect(schemaDefaults(image)).toEqual(IMAGE_DEFAULTS);
  });

  it('gives every issue code a one-line meaning', () => {
    for (const [code, meaning] of Object.entries(MANIFEST_ISSUE_CODES)) {
      expect(code).toMatch(/^HUBIFY_MANIFEST_[A-Z_]+$/);
      expect(meaning).toMatch(/^\S.*\.$/);
      expect(meaning).not.toContain('\n');
    }
  });

  it('lists every issue code in schemas/README.md', () => {
    const readme = readFileSync(join(root, 'schemas', 'README.md'), 'utf8');
    for (const code of Object.keys(MANIFEST_ISSUE_CODES)) expect(readme).toContain(code);
  });
});

describe('placeholders', () => {
  it('expands known placeholders and double braces, and leaves the rest', () => {
    const values = {
      port: '8080',
      unix_socket: '/s',
      base_url: '/user/a/',
      app_url: '/user/a/x/',
      user: 'a',
      home: '/h',
    };
    expect(expandPlaceholders('--port={port} {{port}} {other} ${HOME} {home}/x {}', values)).toBe(
      '--port=8080 {port} {other} ${HOME} /h/x {}',
    );
  });
});
