// The generated manifest: templates filled from detected apps, the image section, the default app,
// user overrides (--manifest data, --app NAME=COMMAND), validation, and the CLI error for problems.
import { describe, expect, it } from 'vitest';
import { EXIT, HubifyError } from '../../cli/errors.ts';
import type { DetectedApp, ImageFacts } from '../../cli/image/image-facts.ts';
import {
  chooseDefaultApp,
  manifestFromFacts,
  manifestInvalidError,
  parseAppOption,
} from '../../cli/inspect/generate-manifest.ts';
import { checkManifestData } from '../../schemas/manifest.ts';

const RSTUDIO: DetectedApp = {
  template: 'rstudio',
  name: 'rstudio',
  evidence: '/usr/lib/rstudio-server/bin/rserver exists',
  values: { executable: '/usr/lib/rstudio-server/bin/rserver' },
};
const SHINY: DetectedApp = {
  template: 'shiny-app',
  name: 'hello',
  evidence: '/srv/shiny-server/hello/app.R',
  values: { executable: '/usr/local/bin/Rscript', appDir: '/srv/shiny-server/hello', title: 'hello' },
};
const NOTEBOOK: DetectedApp = {
  template: 'notebook',
  name: 'notebook',
  evidence: 'jupyter-notebook at /usr/bin/jupyter-notebook',
  values: { executable: '/usr/bin/jupyter-notebook' },
};
const CODE: DetectedApp = {
  template: 'code-server',
  name: 'code-server',
  evidence: 'code-server at /usr/bin/code-server',
  values: { executable: '/usr/bin/code-server' },
};

function facts(apps: DetectedApp[], config: Partial<ImageFacts['config']> = {}): ImageFacts {
  const root = { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/bash' };
  return {
    reference: 'example/rstudio:1',
    id: 'sha256:1',
    os: 'linux',
    architecture: 'amd64',
    config: {
      entrypoint: null,
      cmd: ['/init'],
      user: '',
      workdir: '',
      env: { PATH: '/usr/bin:/bin', TZ: 'Etc/UTC' },
      labels: {},
      ...config,
    },
    libc: { kind: 'glibc', version: '2.36', evidence: 'x' },
    users: [root],
    defaultUser: root,
    nonRootUser: null,
    path: ['/usr/bin', '/bin'],
    condaPrefixes: [],
    jupyterhubSingleuser: null,
    hasShell: true,
    apps,
    unsupported: [],
    notes: [],
  };
}

function valid(generated: ReturnType<typeof manifestFromFacts>) {
  if (generated.issues.length > 0) throw manifestInvalidError(generated, 'test');
  return generated.manifest;
}

describe('the generated manifest', () => {
  it('fills each detected app from its template, records the image and picks the default app', () => {
    const generated = manifestFromFacts(facts([RSTUDIO, SHINY]));
    const manifest = valid(generated);
    expect(generated.warnings).toEqual([]);
    expect(generated.skipped).toEqual([]);
    expect(Object.keys(manifest)).toEqual(['schemaVersion', 'defaultApp', 'image', 'apps']);
    expect(manifest.defaultApp).toBe('rstudio');
    expect(manifest.image).toEqual({
      entrypoint: [],
      cmd: ['/init'],
      env: { PATH: '/usr/bin:/bin', TZ: 'Etc/UTC' },
    });
    expect(manifest.apps.map((app) => app.name)).toEqual(['rstudio', 'hello']);
    expect(manifest.apps[1]).toMatchObject({
      name: 'hello',
      title: 'hello',
      description: "A Shiny app in /srv/shiny-server/hello, run with R's shiny package.",
      command: [
        '/usr/local/bin/Rscript',
        '-e',
        expect.stringContaining('shiny::runApp'),
        '/srv/shiny-server/hello',
      ],
    });
    // The output is what the loader accepts, as is.
    expect(checkManifestData(JSON.parse(JSON.stringify(manifest)), 'x').ok).toBe(true);
  });

  it('records USER and WORKDIR when the image sets them', () => {
    const manifest = valid(
      manifestFromFacts(facts([], { user: '1000:100', workdir: '/home/jovyan', entrypoint: ['tini', '--'] })),
    );
    expect(manifest.image).toMatchObject({
      entrypoint: ['tini', '--'],
      user: '1000:100',
      workdir: '/home/jovyan',
    });
  });

  it('no apps: no defaultApp, so the root URL shows the launcher', () => {
    const manifest = valid(manifestFromFacts(facts([])));
    expect(manifest.defaultApp).toBeUndefined();
    expect(manifest.apps).toEqual([]);
  });

  it('leaves out an app whose values cannot be used, and says why', () => {
    const odd = { ...SHINY, values: { ...SHINY.values, appDir: '/srv/shiny-server/{odd}' } };
    const generated = manifestFromFacts(facts([odd, NOTEBOOK]));
    expect(valid(generated).apps.map((app) => app.name)).toEqual(['notebook']);
    expect(generated.skipped).toEqual([
      'hello (shiny-app): the value of appDir ("/srv/shiny-server/{odd}") holds braces the runtime would read as a placeholder',
    ]);
    const missing = manifestFromFacts(facts([{ ...CODE, values: {} }]));
    expect(missing.skipped).toEqual(['code-server (code-server): no value for ${executable}']);
  });
});

describe('the default app', () => {
  it.each([
    [['hello', 'notebook', 'rstudio'], 'rstudio'],
    [['code-server', 'notebook', 'jupyterlab'], 'jupyterlab'],
    [['code-server', 'notebook'], 'notebook'],
    [['desktop', 'code-server'], 'code-server'],
    [['desktop', 'hello'], 'desktop'],
    [[], undefined],
  ])('of %j is %s', (names, expected) => {
    expect(chooseDefaultApp(names)).toBe(expected);
  });
});

describe('--app NAME=COMMAND', () => {
  it('splits the command like a shell, keeps $VARIABLES and placeholders as written', () => {
    expect(parseAppOption(`api2=python3 -m http.server {port} --directory "$HOME/my files"`)).toEqual({
      name: 'api2',
      command: ['python3', '-m', 'http.server', '{port}', '--directory', '$HOME/my files'],
    });
    expect(parseAppOption("x=sh -c 'echo a | cat' # comment")).toEqual({
      name: 'x',
      command: ['sh', '-c', 'echo a | cat'],
    });
    expect(parseAppOption('glob=ls *.txt').command).toEqual(['ls', '*.txt']);
  });

  it('is a usage error (exit 2) without NAME= or COMMAND, or with shell operators', () => {
    for (const bad of ['just-a-command', '=cmd', 'name=', 'name=   ', 'x=a | b', 'x=a && b', 'x=a > out']) {
      let error: unknown;
      try {
        parseAppOption(bad);
      } catch (caught) {
        error = caught;
      }
      expect(error, bad).toBeInstanceOf(HubifyError);
      expect((error as HubifyError).code, bad).toBe('HUBIFY_USAGE');
      expect((error as HubifyError).exitCode, bad).toBe(EXIT.USAGE);
    }
  });

  it('adds an app, or replaces the detected one of that name (last wins)', () => {
    const manifest = valid(
      manifestFromFacts(facts([RSTUDIO, SHINY]), {
        apps: [
          'hello=Rscript /srv/app.R {port}',
          'extra=my-server --port={port}',
          { name: 'extra', command: ['other', '{port}'] },
        ],
      }),
    );
    expect(manifest.apps).toEqual([
      expect.objectContaining({ name: 'rstudio' }),
      { name: 'hello', command: ['Rscript', '/srv/app.R', '{port}'] },
      { name: 'extra', command: ['other', '{port}'] },
    ]);
  });
});

describe('--manifest overrides', () => {
  it('replace detected apps of the same name, add others, and set top-level fields', () => {
    const generated = manifestFromFacts(facts([RSTUDIO, NOTEBOOK]), {
      overrides: {
        defaultApp: 'notebook',
        runtime: { logLevel: 'debug' },
        apps: [
          {
            name: 'rstudio',
            title: 'My RStudio',
            command: ['/opt/rstudio/bin/rserver', '--www-port={port}'],
          },
          { name: 'docs', port: 8000 },
        ],
      },
      apps: ['docs=python3 -m http.server {port}'],
    });
    const manifest = valid(generated);
    expect(manifest.defaultApp).toBe('notebook');
    expect(manifest.runtime).toEqual({ logLevel: 'debug' });
    expect(Object.keys(manifest)).toEqual(['schemaVersion', 'defaultApp', 'image', 'runtime', 'apps']);
    expect(manifest.apps.map((app) => [app.name, app.title])).toEqual([
      ['rstudio', 'My RStudio'],
      ['notebook', 'Jupyter Notebook'],
      ['docs', undefined],
    ]);
  });

  it('an override that replaces the image section or adds $schema keeps the rest', () => {
    const manifest = valid(
      manifestFromFacts(facts([]), {
        overrides: { $schema: 'https://hubify.dev/schemas/manifest.v1.schema.json', image: { cmd: ['x'] } },
      }),
    );
    expect(manifest.image).toEqual({ cmd: ['x'] });
    expect(manifest.$schema).toBe('https://hubify.dev/schemas/manifest.v1.schema.json');
  });

  it('problems are all reported, then become HUBIFY_MANIFEST_INVALID (exit 2)', () => {
    const generated = manifestFromFacts(facts([RSTUDIO]), {
      overrides: { defaultApp: 'nope', apps: [{ name: 'web', port: 'eighty', command: [] }, 'not an app'] },
    });
    expect(generated.issues.map((issue) => `${issue.path} ${issue.code}`)).toEqual([
      'apps[1] HUBIFY_MANIFEST_TYPE',
      'apps[1].port HUBIFY_MANIFEST_TYPE',
      'defaultApp HUBIFY_MANIFEST_UNKNOWN_DEFAULT_APP',
      'apps[1] HUBIFY_MANIFEST_NO_ADDRESS',
    ]);
    expect(generated.issues[0]?.message).toBe('(in --manifest) must be an app with a name');
    const error = manifestInvalidError(generated, 'example/rstudio:1');
    expect(error.code).toBe('HUBIFY_MANIFEST_INVALID');
    expect(error.exitCode).toBe(EXIT.USAGE);
    const text = error.toText();
    expect(text).toContain('hubify: the manifest generated for example/rstudio:1 is invalid (4 problems)\n');
    expect(text).toContain(
      '  apps[1].port  must be an integer from 0 to 65535, got "eighty"  [HUBIFY_MANIFEST_TYPE]\n',
    );
    expect(text).toContain('  defaultApp  ');
    expect(text.trimEnd().endsWith('[HUBIFY_MANIFEST_INVALID]')).toBe(true);
  });

  it('overrides that are not a mapping, or apps that are not a list, are problems', () => {
    expect(manifestFromFacts(facts([]), { overrides: ['x'] }).issues[0]).toMatchObject({
      path: '',
      code: 'HUBIFY_MANIFEST_TYPE',
    });
    const notAList = manifestFromFacts(facts([]), { overrides: { apps: 'x' }, overridesSource: 'my.yaml' })
      .issues[0];
    expect(notAList?.path).toBe('apps');
    expect(notAList?.hint).toContain('Check my.yaml');
    expect(manifestFromFacts(facts([]), { overrides: null }).issues).toEqual([]);
  });
});
