// The app templates (templates/apps/*.json): one per AppTemplateName, valid manifest entries once
// filled, the launch flags of the packaging reference, icons equal to their SVG files, documented in
// templates/README.md; and the start scripts run with stub programs on this machine's /bin/sh.
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppTemplateName } from '../../cli/image/image-facts.ts';
import {
  APP_TEMPLATES,
  APP_TEMPLATE_NAMES,
  fillTemplate,
  templateValueNames,
} from '../../cli/inspect/templates.ts';
import { expandPlaceholders } from '../../proxy/supervisor/placeholders.ts';
import { checkManifestData, formatManifestIssues } from '../../schemas/manifest.ts';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const appsDir = join(root, 'templates', 'apps');
const readme = readFileSync(join(root, 'templates', 'README.md'), 'utf8');

/** Every AppTemplateName: the compiler fails here when the type gains one. */
const ALL_TEMPLATES: Record<AppTemplateName, true> = {
  rstudio: true,
  jupyterlab: true,
  notebook: true,
  'jupyter-server': true,
  'code-server': true,
  'shiny-app': true,
  'shiny-server': true,
  desktop: true,
};

const SAMPLE_VALUES: Record<string, string> = {
  name: 'sample',
  executable: '/usr/bin/sample',
  title: 'Sample',
  pathInfo: 'tree',
  appDir: '/srv/shiny-server/hello',
  siteDir: '/srv/shiny-server',
  websockify: '/usr/bin/websockify',
  vncServer: '/usr/bin/Xtigervnc',
  novncDir: '/usr/share/novnc',
  session: '/etc/X11/Xsession',
};

function filled(
  template: AppTemplateName,
  values: Record<string, string> = SAMPLE_VALUES,
): Record<string, unknown> {
  const result = fillTemplate(template, values);
  expect(result.missing).toEqual([]);
  expect(result.problems).toEqual([]);
  return result.app;
}

function command(template: AppTemplateName): string[] {
  return filled(template).command as string[];
}

describe('the set of templates', () => {
  it('has one JSON file per AppTemplateName, and nothing else', () => {
    const files = readdirSync(appsDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => file.slice(0, -'.json'.length))
      .sort();
    expect(files).toEqual(Object.keys(ALL_TEMPLATES).sort());
    expect([...APP_TEMPLATE_NAMES].sort()).toEqual(files);
  });

  it.each(Object.keys(ALL_TEMPLATES) as AppTemplateName[])(
    '%s, filled, is a valid manifest app without warnings',
    (name) => {
      const result = checkManifestData(
        { schemaVersion: 1, apps: [filled(name)] },
        `templates/apps/${name}.json`,
      );
      if (!result.ok) throw new Error(formatManifestIssues(result.issues, result.source));
      expect(result.warnings).toEqual([]);
      expect(result.manifest.apps[0]?.name).toBe('sample');
    },
  );

  it('uses ${name} in every template and holds no {{ or }} (the runtime would not unescape them)', () => {
    for (const name of APP_TEMPLATE_NAMES) {
      const text = readFileSync(join(appsDir, `${name}.json`), 'utf8');
      expect(templateValueNames(APP_TEMPLATES[name]), name).toContain('name');
      expect(text, name).not.toMatch(/\{\{|\}\}/);
    }
  });

  it('documents every template and each of its values in templates/README.md', () => {
    for (const name of APP_TEMPLATE_NAMES) {
      expect(readme, name).toContain(`| \`${name}\``);
      for (const value of templateValueNames(APP_TEMPLATES[name]))
        expect(readme, `${name}: ${value}`).toContain(`\${${value}}`);
    }
  });

  it('inlines each icon as a data: URI of its SVG file, a small original drawing', () => {
    const icons = readdirSync(join(appsDir, 'icons')).sort();
    expect(icons).toEqual(APP_TEMPLATE_NAMES.map((name) => `${name}.svg`).sort());
    for (const name of APP_TEMPLATE_NAMES) {
      const svg = readFileSync(join(appsDir, 'icons', `${name}.svg`));
      expect(svg.length, name).toBeLessThan(1024);
      expect(svg.toString('utf8'), name).toMatch(
        /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" viewBox="0 0 48 48">/,
      );
      expect(APP_TEMPLATES[name].icon, name).toBe(`data:image/svg+xml;base64,${svg.toString('base64')}`);
    }
  });
});

describe('filling', () => {
  it('reports missing values and leaves them as written', () => {
    const result = fillTemplate('code-server', { name: 'vscode' });
    expect(result.missing).toEqual(['executable']);
    expect((result.app.command as string[])[0]).toBe('${executable}');
  });

  it('writes $${ as a literal ${', () => {
    const result = fillTemplate({ name: '${name}', description: 'cost: $${x} ${x}' }, { name: 'a', x: '5' });
    expect(result.app).toEqual({ name: 'a', description: 'cost: ${x} 5' });
  });

  it('refuses a value that the runtime would read as a placeholder, where the runtime expands them', () => {
    const values = { ...SAMPLE_VALUES, appDir: '/srv/shiny-server/{port}' };
    expect(fillTemplate('shiny-app', values).problems).toEqual([
      'the value of appDir ("/srv/shiny-server/{port}") holds braces the runtime would read as a placeholder',
    ]);
    // In a description it is only text.
    const described = fillTemplate(
      { name: '${name}', description: '${appDir}' },
      { name: 'a', appDir: '{x}' },
    );
    expect(described.problems).toEqual([]);
  });
});

describe('launch flags (packaging reference, section e)', () => {
  it('RStudio: the rserver flags, a private key file, data dir and database config', () => {
    const [shell, dashC, script, name, executable, port, appUrl] = command('rstudio');
    expect([shell, dashC, name, executable, port, appUrl]).toEqual([
      '/bin/sh',
      '-c',
      'hubify-rstudio',
      '/usr/bin/sample',
      '{port}',
      '{app_url}',
    ]);
    for (const flag of [
      '--server-daemonize=0',
      '--auth-none=1',
      '--www-port="$2"',
      '--www-address=127.0.0.1',
      '--www-root-path="$3"',
      '--server-user="$user"',
      '--www-verify-user-agent=0',
      '--www-frame-origin=same',
      '--secure-cookie-key-file="$dir/secure-cookie-key"',
      '--server-data-dir="$dir/data"',
      '--database-config-file="$dir/database.conf"',
    ]) {
      expect(script).toContain(flag);
    }
    const app = filled('rstudio');
    expect(app).toMatchObject({ stripPrefix: true, readiness: { path: '/', timeout: 60 } });
    expect(app.activity).toEqual({ exclude: ['^/rpc/get_events', '^/events/'] });
  });

  it('JupyterLab, jupyter_server and Notebook 7: ServerApp flags; classic Notebook 6: NotebookApp flags', () => {
    const server = [
      '--ServerApp.base_url={app_url}',
      '--ServerApp.port={port}',
      '--ServerApp.ip=127.0.0.1',
      '--IdentityProvider.token=',
      '--ServerApp.password=',
      '--ServerApp.open_browser=False',
      '--ServerApp.allow_origin=*',
      '--ServerApp.allow_remote_access=True',
      '--ServerApp.root_dir={home}',
    ];
    for (const template of ['jupyterlab', 'jupyter-server'] as const) {
      expect(command(template).slice(1)).toEqual(expect.arrayContaining(server));
      expect(command(template).join(' ')).not.toContain('NotebookApp');
    }
    expect(command('notebook').slice(1)).toEqual([
      '--NotebookApp.base_url={app_url}',
      '--NotebookApp.port={port}',
      '--NotebookApp.ip=127.0.0.1',
      '--NotebookApp.token=',
      '--NotebookApp.password=',
      '--NotebookApp.open_browser=False',
      '--NotebookApp.allow_origin=*',
      '--NotebookApp.allow_remote_access=True',
      '--NotebookApp.notebook_dir={home}',
    ]);
    for (const template of ['jupyterlab', 'notebook', 'jupyter-server'] as const) {
      const app = filled(template);
      expect(app, template).toMatchObject({
        stripPrefix: false,
        readiness: { path: '/api' },
        activity: { exclude: ['^/api/(status|metrics)'] },
      });
    }
    expect(filled('jupyterlab').launcher).toMatchObject({ pathInfo: 'lab' });
    expect(filled('notebook').launcher).toMatchObject({ pathInfo: 'tree' });
    expect(filled('jupyter-server', { ...SAMPLE_VALUES, title: 'Jupyter Notebook' })).toMatchObject({
      title: 'Jupyter Notebook',
      launcher: { pathInfo: 'tree' },
    });
  });

  it('code-server: no auth, no telemetry, loopback, the home folder; /healthz is readiness and not activity', () => {
    expect(command('code-server')).toEqual([
      '/usr/bin/sample',
      '--auth',
      'none',
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--bind-addr',
      '127.0.0.1:{port}',
      '{home}',
    ]);
    expect(filled('code-server')).toMatchObject({
      stripPrefix: true,
      readiness: { path: '/healthz', status: 200 },
      activity: { exclude: ['^/healthz'] },
    });
  });

  it("Shiny app: R's shiny::runApp on loopback, the directory as an argument", () => {
    expect(command('shiny-app')).toEqual([
      '/usr/bin/sample',
      '-e',
      "shiny::runApp(commandArgs(trailingOnly = TRUE)[1], host = '127.0.0.1', port = {port}, launch.browser = FALSE)",
      '/srv/shiny-server/hello',
    ]);
  });

  it('desktop: websockify serving noVNC in front of a VNC server on :1 (5901)', () => {
    const [shell, dashC, script, ...args] = command('desktop');
    expect([shell, dashC]).toEqual(['/bin/sh', '-c']);
    expect(args).toEqual([
      'hubify-desktop',
      '{port}',
      '{app_url}',
      '/usr/bin/websockify',
      '/usr/bin/Xtigervnc',
      '/usr/share/novnc',
      '/etc/X11/Xsession',
    ]);
    expect(script).toContain('exec "$3" --web "$web" "$1" localhost:5901');
    expect(script).toContain('-rfbport 5901 -SecurityTypes None');
    expect(script).toContain(
      'vnc.html?autoconnect=1&amp;resize=remote&amp;reconnect=1&amp;path=%swebsockify',
    );
  });

  it('every activity exclusion compiles as a JavaScript regular expression', () => {
    for (const name of APP_TEMPLATE_NAMES) {
      const exclude = (filled(name).activity as { exclude?: string[] } | undefined)?.exclude ?? [];
      for (const pattern of exclude) expect(() => new RegExp(pattern), `${name}: ${pattern}`).not.toThrow();
    }
  });
});

describe('start scripts, run with stub programs on /bin/sh', () => {
  let dir: string;
  const values = {
    port: '8787',
    unix_socket: '',
    base_url: '/user/alice/',
    app_url: '/user/alice/rstudio/',
    user: 'alice@example.org',
    home: '/home/alice',
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hubify-templates-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Writes an executable stub that runs `body` (sh) and returns its path. */
  async function stub(name: string, body: string): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  async function runScript(
    template: AppTemplateName,
    templateValues: Record<string, string>,
  ): Promise<string> {
    const argv = (fillTemplate(template, templateValues).app.command as string[]).map((arg) =>
      expandPlaceholders(arg, values),
    );
    const [program, ...args] = argv;
    const { stdout } = await run(program ?? '', args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    return stdout;
  }

  it('every script is valid sh', async () => {
    for (const name of ['rstudio', 'shiny-server', 'desktop'] as const) {
      const script = command(name)[2] ?? '';
      await expect(run('/bin/sh', ['-n', '-c', script]), name).resolves.toBeDefined();
    }
  });

  it('RStudio: rserver gets its flags and the key, data dir and database config exist', async () => {
    const rserver = await stub(
      'rserver',
      [
        'for arg in "$@"; do echo "ARG $arg"; done',
        'echo "USER $USER"',
        'for arg in "$@"; do case "$arg" in',
        '  --secure-cookie-key-file=*) f=${arg#*=}; echo "KEY $(wc -c < "$f") $(stat -c %a "$f")";;',
        '  --database-config-file=*) f=${arg#*=}; echo "DB $(cat "$f" | tr "\\n" " ")";;',
        '  --server-data-dir=*) d=${arg#*=}; [ -d "$d" ] && echo "DATA $(stat -c %a "$(dirname "$d")")";;',
        'esac; done',
      ].join('\n'),
    );
    const out = await runScript('rstudio', { name: 'rstudio', executable: rserver });
    const me = (await run('id', ['-un'])).stdout.trim();
    expect(out).toContain('ARG --www-port=8787\n');
    expect(out).toContain('ARG --www-root-path=/user/alice/rstudio/\n');
    expect(out).toContain(`ARG --server-user=${me}\n`);
    expect(out).toContain(`USER ${me}\n`);
    expect(out).toMatch(/^KEY 64 600$/m);
    expect(out).toMatch(/^DB provider=sqlite directory=\/.*\/db $/m);
    expect(out).toMatch(/^DATA 700$/m);
  });

  it('shiny-server: started with a config that runs it as the current user on {port}', async () => {
    const shinyServer = await stub('shiny-server', 'cat "$1"; echo "LOG $SHINY_LOG_STDERR"');
    const out = await runScript('shiny-server', {
      name: 'shiny-server',
      executable: shinyServer,
      siteDir: '/srv/shiny-server',
    });
    const me = (await run('id', ['-un'])).stdout.trim();
    expect(out).toMatch(
      new RegExp(
        `^run_as ${me};\\npreserve_logs true;\\nserver \\{\\n  listen 8787 127\\.0\\.0\\.1;\\n  location / \\{\\n    site_dir /srv/shiny-server;\\n` +
          '    log_dir /.+/logs;\\n    bookmark_state_dir /.+/bookmarks;\\n    directory_index on;\\n  \\}\\n\\}\\n',
      ),
    );
    // The environment is the manifest's, not the script's: the runtime sets it.
    expect(filled('shiny-server').environment).toEqual({ SHINY_LOG_STDERR: '1' });
  });

  it('desktop: the VNC server starts, websockify gets the private web dir with the redirect page', async () => {
    const log = join(dir, 'desktop.log');
    const novnc = join(dir, 'novnc');
    await mkdir(join(novnc, 'app'), { recursive: true });
    await writeFile(join(novnc, 'vnc.html'), '<html></html>');
    const xvnc = await stub('Xtigervnc', `echo "VNC $*" >> ${log}`);
    const websockify = await stub('websockify', `echo "WEB $*"; ls "$2"; cat "$2/index.html"; sleep 0.3`);
    // No session here: it waits for the X server's socket, which a stub never makes (the integration
    // test runs the real one).
    const out = await runScript('desktop', {
      name: 'desktop',
      websockify,
      vncServer: xvnc,
      novncDir: novnc,
      session: '',
    });
    expect(out).toMatch(/^WEB --web \/\S+ 8787 localhost:5901$/m);
    expect(out).toMatch(/^app$/m);
    expect(out).toMatch(/^vnc\.html$/m);
    expect(out).toContain(
      'url=vnc.html?autoconnect=1&amp;resize=remote&amp;reconnect=1&amp;path=user/alice/rstudio/websockify',
    );
    const started = await readFile(log, 'utf8');
    expect(started).toContain(
      'VNC :1 -localhost -rfbport 5901 -SecurityTypes None -geometry 1280x800 -depth 24 -AlwaysShared',
    );
  });
});
