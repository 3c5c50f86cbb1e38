// Detection over in-memory image layouts (MemoryImageFs has the engine's stat/symlink semantics):
// users, libc, conda prefixes, every app kind and its evidence, notes and "unsupported" reasons.
import { describe, expect, it } from 'vitest';
import type { ImageFacts } from '../../cli/image/image-facts.ts';
import { detectImageFacts, imageInputFromInspect, type ImageInput } from '../../cli/inspect/detect.ts';
import { ImageFsError, type ImageFs } from '../../cli/inspect/image-fs.ts';
import { MemoryImageFs, type MemoryNode, type MemoryTree } from '../../cli/inspect/memory-fs.ts';

const exe = (content = '#!/bin/sh\n'): MemoryNode => ({ kind: 'file', mode: 0o755, content });
const link = (target: string): MemoryNode => ({ kind: 'symlink', target });

/** A merged-/usr Debian bookworm layout: root only, glibc 2.36, /bin/sh. */
const DEBIAN: MemoryTree = {
  '/bin': link('usr/bin'),
  '/sbin': link('usr/sbin'),
  '/lib': link('usr/lib'),
  '/lib64': link('usr/lib64'),
  '/etc/passwd':
    'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  '/etc/group': 'root:x:0:\nstaff:x:50:\nusers:x:100:\n',
  '/etc/os-release': link('../usr/lib/os-release'),
  '/usr/lib/os-release': 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n',
  '/usr/bin/dash': exe(),
  '/usr/bin/sh': link('dash'),
  '/usr/bin/ldd': exe(`#!/bin/bash\n    echo 'ldd (Debian GLIBC 2.36-9+deb12u4) 2.36'\n`),
  '/usr/lib/x86_64-linux-gnu/libc.so.6': exe(''),
  '/usr/lib64/ld-linux-x86-64.so.2': link('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'),
  '/usr/local/bin': { kind: 'dir' },
  '/usr/local/sbin': { kind: 'dir' },
  '/usr/sbin': { kind: 'dir' },
  '/root': { kind: 'dir' },
};

function input(
  config: Partial<ImageInput['config']> = {},
  image: Partial<Omit<ImageInput, 'config'>> = {},
): ImageInput {
  return {
    reference: 'example/image:1',
    id: 'sha256:0123',
    os: 'linux',
    architecture: 'amd64',
    ...image,
    config: {
      entrypoint: null,
      cmd: ['bash'],
      user: '',
      workdir: '',
      env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
      labels: {},
      ...config,
    },
  };
}

async function detect(
  tree: MemoryTree,
  config: Partial<ImageInput['config']> = {},
  image: Partial<ImageInput> = {},
) {
  const fs = new MemoryImageFs({ ...DEBIAN, ...tree });
  const facts = await detectImageFacts(input(config, image), fs);
  return { facts, calls: fs.calls };
}

function appsOf(facts: ImageFacts) {
  return facts.apps.map(({ template, name }) => `${name}:${template}`);
}

describe('a plain Debian image', () => {
  it('is glibc 2.36, root, with a shell, no apps, and a note that the build adds jovyan', async () => {
    const { facts, calls } = await detect({});
    expect(facts.libc).toEqual({
      kind: 'glibc',
      version: '2.36',
      evidence:
        '/lib/x86_64-linux-gnu/libc.so.6 exists; /usr/bin/ldd says ldd (Debian GLIBC 2.36-9+deb12u4) 2.36 (Debian GNU/Linux 12 (bookworm))',
    });
    expect(facts.defaultUser.name).toBe('root');
    expect(facts.nonRootUser).toBeNull();
    expect(facts.hasShell).toBe(true);
    expect(facts.apps).toEqual([]);
    expect(facts.unsupported).toEqual([]);
    expect(facts.notes).toEqual([expect.stringContaining('the build adds jovyan (uid 1000')]);
    expect(facts.path).toEqual([
      '/usr/local/sbin',
      '/usr/local/bin',
      '/usr/sbin',
      '/usr/bin',
      '/sbin',
      '/bin',
    ]);
    expect(calls).toBeLessThan(150);
  });

  it('reads the image config from the engine inspect record', () => {
    const parsed = imageInputFromInspect('x:1', {
      Id: 'sha256:1',
      Os: 'linux',
      Architecture: 'arm64',
      Config: {
        Entrypoint: ['tini', '--'],
        Cmd: 'start.sh --flag',
        User: '1000:100',
        WorkingDir: '/home/jovyan',
        Env: ['PATH=/usr/bin', 'NB_USER=jovyan'],
        Labels: null,
      },
    });
    expect(parsed.config).toEqual({
      entrypoint: ['tini', '--'],
      cmd: ['/bin/sh', '-c', 'start.sh --flag'],
      user: '1000:100',
      workdir: '/home/jovyan',
      env: { PATH: '/usr/bin', NB_USER: 'jovyan' },
      labels: {},
    });
    expect(imageInputFromInspect('y', { Id: 'sha256:2', Config: null }).config.entrypoint).toBeNull();
  });
});

const ROCKER: MemoryTree = {
  '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\nrstudio:x:1000:1000::/home/rstudio:/bin/bash\n',
  '/etc/group': 'root:x:0:\nstaff:x:50:rstudio\nrstudio:x:1000:\n',
  '/usr/lib/rstudio-server/bin/rserver': exe(),
  '/usr/local/bin/rserver': link('/usr/lib/rstudio-server/bin/rserver'),
  '/usr/local/lib/R/bin/Rscript': exe(),
  '/usr/local/bin/Rscript': link('/usr/local/lib/R/bin/Rscript'),
  '/usr/local/lib/R/site-library/shiny/DESCRIPTION': 'Package: shiny\n',
  '/srv/shiny-server/index.html': '<html></html>',
  '/srv/shiny-server/hello/app.R': 'shinyApp(ui, server)',
  '/srv/shiny-server/Old App/server.R': 'function(input, output) {}',
  '/srv/shiny-server/Old App/ui.R': 'fluidPage()',
  '/srv/shiny-server/api/app.R': 'shinyApp(ui, server)',
  '/srv/shiny-server/sample-apps/deep/app.R': 'too deep',
  '/srv/shiny-server/empty': { kind: 'dir' },
  '/init': exe('#!/bin/execlineb -S0\n/package/admin/s6-overlay/libexec/preinit\n'),
  '/var/lib/rstudio-server/secure-cookie-key': { kind: 'file', content: 'secret', mode: 0o600, uid: 0 },
  '/var/lib/rstudio-server/session-rpc-key': { kind: 'file', content: 'secret', mode: 0o644, uid: 0 },
};
const ROCKER_CONFIG = {
  cmd: ['/init'],
  env: {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    R_HOME: '/usr/local/lib/R',
    DEFAULT_USER: 'rstudio',
    S6_VERSION: 'v2.1.0.2',
  },
};

describe('a Rocker-style RStudio image', () => {
  it('finds RStudio and each Shiny app directory, with evidence', async () => {
    const { facts, calls } = await detect(ROCKER, ROCKER_CONFIG);
    expect(appsOf(facts)).toEqual([
      'rstudio:rstudio',
      'shiny-api:shiny-app',
      'hello:shiny-app',
      'old-app:shiny-app',
    ]);
    expect(facts.apps[0]).toEqual({
      template: 'rstudio',
      name: 'rstudio',
      evidence: '/usr/lib/rstudio-server/bin/rserver exists',
      values: { executable: '/usr/lib/rstudio-server/bin/rserver' },
    });
    const hello = facts.apps.find((app) => app.name === 'hello');
    expect(hello).toEqual({
      template: 'shiny-app',
      name: 'hello',
      evidence:
        '/srv/shiny-server/hello/app.R; Rscript at /usr/local/bin/Rscript (-> /usr/local/lib/R/bin/Rscript); ' +
        'R package shiny in /usr/local/lib/R/site-library',
      values: { executable: '/usr/local/bin/Rscript', appDir: '/srv/shiny-server/hello', title: 'hello' },
    });
    expect(facts.apps.find((app) => app.name === 'old-app')?.evidence).toContain(
      '/srv/shiny-server/Old App/server.R',
    );
    expect(calls).toBeLessThan(200);
  });

  it('notes the s6 /init, the root-owned unreadable key (not the readable one) and the user switch', async () => {
    const { facts } = await detect(ROCKER, ROCKER_CONFIG);
    expect(facts.defaultUser.name).toBe('root');
    expect(facts.nonRootUser?.name).toBe('rstudio');
    expect(facts.notes).toEqual([
      'The image runs as root (uid 0) by default; the apps run as rstudio (uid 1000, home /home/rstudio).',
      expect.stringMatching(
        /^CMD \["\/init"\] is s6-overlay \(Rocker style\): it must start as root .* The runtime replaces it/,
      ),
      expect.stringMatching(
        /^\/var\/lib\/rstudio-server\/secure-cookie-key belongs to uid 0 with mode 0600: .* own key file \(--secure-cookie-key-file\) and data dir/,
      ),
    ]);
  });

  it('without /bin/sh, RStudio cannot get its start script: left out with a note', async () => {
    const { facts } = await detect({ ...ROCKER, '/usr/bin/sh': { kind: 'dir' } }, ROCKER_CONFIG);
    expect(facts.hasShell).toBe(false);
    expect(appsOf(facts)).not.toContain('rstudio:rstudio');
    expect(facts.notes).toContainEqual(
      expect.stringContaining(
        'RStudio Server (/usr/lib/rstudio-server/bin/rserver) found, but the image has no /bin/sh',
      ),
    );
  });

  it('Shiny apps without the shiny package or without Rscript are left out with a note', async () => {
    const noShiny = {
      ...ROCKER,
      '/usr/local/lib/R/site-library/shiny/DESCRIPTION': { kind: 'dir' } as MemoryNode,
    };
    const { facts } = await detect(noShiny, ROCKER_CONFIG);
    expect(appsOf(facts)).toEqual(['rstudio:rstudio']);
    expect(facts.notes).toContainEqual(
      expect.stringContaining('the R package shiny is in no R library hubify knows'),
    );

    const noRscript = { ...ROCKER, '/usr/local/bin/Rscript': link('/nowhere/Rscript') };
    const second = await detect(noRscript, ROCKER_CONFIG);
    expect(appsOf(second.facts)).toEqual(['rstudio:rstudio']);
    expect(second.facts.notes).toContainEqual(
      expect.stringContaining('no Rscript on PATH or in a conda prefix'),
    );
  });

  it('shiny-server: one app for its site_dir, a note about its non-root directories', async () => {
    const { facts } = await detect(
      {
        ...ROCKER,
        '/opt/shiny-server/bin/shiny-server': exe(),
        '/usr/bin/shiny-server': link('/opt/shiny-server/bin/shiny-server'),
        '/etc/shiny-server/shiny-server.conf':
          'server {\n  listen 3838;\n  location / {\n    site_dir /srv/apps;\n  }\n}\n',
      },
      ROCKER_CONFIG,
    );
    const server = facts.apps.find((app) => app.template === 'shiny-server');
    expect(server?.values).toEqual({ executable: '/usr/bin/shiny-server', siteDir: '/srv/apps' });
    expect(server?.name).toBe('shiny-server');
    expect(facts.notes).toContainEqual(
      expect.stringContaining('/var/lib/shiny-server and /var/log/shiny-server writable'),
    );
  });
});

describe('Jupyter', () => {
  const CONDA: MemoryTree = {
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/bash\njovyan:x:1000:100::/home/jovyan:/bin/bash\n',
    '/opt/conda/conda-meta/history': '',
    '/opt/conda/bin/python3.11': exe(),
    '/opt/conda/bin/jupyter-lab': exe('from jupyterlab.labapp import main\n'),
    '/opt/conda/bin/jupyter-notebook': exe('from notebook.app import main\n'),
    '/opt/conda/bin/jupyterhub-singleuser': exe(),
    '/opt/conda/envs/r/conda-meta/r-base-4.4.1-h0.json': '{}',
    '/opt/conda/envs/r/bin/Rscript': exe(),
    '/home/jovyan/.conda/environments.txt': '/opt/conda\n/srv/extra-env\n',
    '/srv/extra-env/conda-meta/python-3.12.0-h0.json': '{}',
    '/srv/not-conda/bin/x': exe(),
  };
  const STACKS = {
    user: '1000',
    entrypoint: ['tini', '-g', '--', 'start.sh'],
    cmd: ['start-notebook.py'],
    env: {
      PATH: '/opt/conda/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      CONDA_DIR: '/opt/conda',
      NB_USER: 'jovyan',
    },
  };

  it('docker-stacks style: JupyterLab is preferred, jupyterhub-singleuser is noted, conda prefixes and envs are found', async () => {
    const { facts } = await detect(CONDA, STACKS);
    expect(appsOf(facts)).toEqual(['jupyterlab:jupyterlab']);
    expect(facts.apps[0]?.evidence).toBe('jupyter-lab at /opt/conda/bin/jupyter-lab');
    expect(facts.jupyterhubSingleuser).toBe('/opt/conda/bin/jupyterhub-singleuser');
    expect(facts.condaPrefixes).toEqual(['/opt/conda', '/opt/conda/envs/r', '/srv/extra-env']);
    expect(facts.defaultUser).toEqual({
      name: 'jovyan',
      uid: 1000,
      gid: 100,
      home: '/home/jovyan',
      shell: '/bin/bash',
    });
    expect(facts.nonRootUser?.name).toBe('jovyan');
    expect(facts.notes).toEqual([
      expect.stringContaining(
        'hubify-proxy takes its place and talks to the hub itself; Jupyter runs as the app "jupyterlab"',
      ),
    ]);
  });

  it('Notebook 7 (its script imports notebook.app) runs with jupyter_server flags, as "notebook"', async () => {
    const { '/opt/conda/bin/jupyter-lab': _lab, ...noLab } = CONDA;
    const { facts } = await detect(noLab, STACKS);
    expect(facts.apps).toEqual([
      {
        template: 'jupyter-server',
        name: 'notebook',
        evidence:
          'jupyter-notebook at /opt/conda/bin/jupyter-notebook; Notebook 7 (its script imports notebook.app)',
        values: {
          executable: '/opt/conda/bin/jupyter-notebook',
          title: 'Jupyter Notebook',
          pathInfo: 'tree',
        },
      },
    ]);
  });

  it('Notebook 6 or 7 from conda-meta when the script does not say', async () => {
    const base = {
      ...CONDA,
      '/opt/conda/bin/jupyter-notebook': exe('import sys\nfrom somewhere import main\n'),
    };
    delete (base as Record<string, unknown>)['/opt/conda/bin/jupyter-lab'];
    const six = await detect(
      { ...base, '/opt/conda/conda-meta/notebook-6.5.4-pyha770c72_0.json': '{}' },
      STACKS,
    );
    expect(six.facts.apps[0]).toMatchObject({
      template: 'notebook',
      name: 'notebook',
      evidence:
        'jupyter-notebook at /opt/conda/bin/jupyter-notebook; Notebook 6.5.4 (/opt/conda/conda-meta/notebook-6.5.4-pyha770c72_0.json)',
    });
    const seven = await detect(
      { ...base, '/opt/conda/conda-meta/notebook-7.2.1-pyhd8ed1ab_0.json': '{}' },
      STACKS,
    );
    expect(seven.facts.apps[0]?.template).toBe('jupyter-server');
    const unknown = await detect(base, STACKS);
    expect(unknown.facts.apps[0]?.template).toBe('jupyter-server');
    expect(unknown.facts.apps[0]?.evidence).toContain(
      'version unknown (neither its script nor conda-meta says), assumed Notebook 7',
    );
  });

  it('jupyter-server alone is the app "jupyter"; executables in a conda env that is not on PATH are found', async () => {
    const { facts } = await detect(
      {
        '/opt/conda/conda-meta/history': '',
        '/opt/conda/envs/py/conda-meta/history': '',
        '/opt/conda/envs/py/bin/jupyter-server': exe(),
      },
      { env: { PATH: '/usr/bin:/bin' } },
    );
    expect(facts.apps).toEqual([
      {
        template: 'jupyter-server',
        name: 'jupyter',
        evidence: 'jupyter-server at /opt/conda/envs/py/bin/jupyter-server',
        values: {
          executable: '/opt/conda/envs/py/bin/jupyter-server',
          title: 'Jupyter Server',
          pathInfo: '',
        },
      },
    ]);
  });

  it('a Debian-packaged classic notebook (easy-install script) is Notebook 6', async () => {
    const { facts } = await detect({
      '/usr/bin/jupyter-notebook': exe("#!/usr/bin/python3\n__requires__ = 'notebook==6.4.12'\n"),
    });
    expect(facts.apps).toEqual([
      {
        template: 'notebook',
        name: 'notebook',
        evidence:
          'jupyter-notebook at /usr/bin/jupyter-notebook; Notebook 6.4.12 (its script requires notebook==6.4.12)',
        values: { executable: '/usr/bin/jupyter-notebook' },
      },
    ]);
  });

  it('a file that is not executable is not a program', async () => {
    const { facts } = await detect({ '/usr/bin/jupyter-lab': { kind: 'file', mode: 0o644, content: 'x' } });
    expect(facts.apps).toEqual([]);
  });
});

describe('code-server and the desktop', () => {
  it('code-server at its deb location, off PATH', async () => {
    const { facts } = await detect({ '/usr/lib/code-server/bin/code-server': exe() });
    expect(facts.apps).toEqual([
      {
        template: 'code-server',
        name: 'code-server',
        evidence: 'code-server at /usr/lib/code-server/bin/code-server',
        values: { executable: '/usr/lib/code-server/bin/code-server' },
      },
    ]);
  });

  const DESKTOP: MemoryTree = {
    '/usr/bin/websockify': exe(),
    '/usr/bin/Xtigervnc': exe(),
    '/usr/bin/Xvnc': link('/etc/alternatives/Xvnc'),
    '/etc/alternatives/Xvnc': link('/usr/bin/Xtigervnc'),
    '/usr/share/novnc/vnc.html': '<html></html>',
    '/etc/X11/Xsession': exe(),
    '/usr/bin/xterm': exe(),
  };

  it('websockify + a VNC server + noVNC make a desktop; a desktop environment is its session', async () => {
    const { facts } = await detect({ ...DESKTOP, '/usr/bin/startxfce4': exe() });
    expect(facts.apps).toEqual([
      {
        template: 'desktop',
        name: 'desktop',
        evidence:
          'websockify at /usr/bin/websockify; VNC server /usr/bin/Xtigervnc; noVNC in /usr/share/novnc; session /usr/bin/startxfce4',
        values: {
          websockify: '/usr/bin/websockify',
          vncServer: '/usr/bin/Xtigervnc',
          novncDir: '/usr/share/novnc',
          session: '/usr/bin/startxfce4',
        },
      },
    ]);
  });

  it('without a desktop environment the session is Xsession, then xterm, then none (noted)', async () => {
    expect((await detect(DESKTOP)).facts.apps[0]?.values.session).toBe('/etc/X11/Xsession');
    const { '/etc/X11/Xsession': _x, ...noXsession } = DESKTOP;
    expect((await detect(noXsession)).facts.apps[0]?.values.session).toBe('/usr/bin/xterm');
    const { '/usr/bin/xterm': _t, ...bare } = noXsession;
    const { facts } = await detect(bare);
    expect(facts.apps[0]?.values.session).toBe('');
    expect(facts.notes).toContainEqual(expect.stringContaining('no session program'));
  });

  it('a vncserver wrapper alone is enough; no noVNC means no desktop (noted)', async () => {
    const { '/usr/bin/Xtigervnc': _a, '/usr/bin/Xvnc': _b, ...wrapperOnly } = DESKTOP;
    const wrapper = await detect({ ...wrapperOnly, '/usr/bin/vncserver': exe() });
    expect(wrapper.facts.apps[0]?.values.vncServer).toBe('/usr/bin/vncserver');
    const { '/usr/share/novnc/vnc.html': _n, ...noNovnc } = DESKTOP;
    const { facts } = await detect(noNovnc);
    expect(facts.apps).toEqual([]);
    expect(facts.notes).toContainEqual(expect.stringContaining('but no noVNC'));
  });
});

describe('unsupported images', () => {
  /** An Alpine-shaped layout: musl loader, busybox, no glibc. */
  const ALPINE: MemoryTree = {
    '/lib/ld-musl-x86_64.so.1': exe(''),
    '/lib/libc.musl-x86_64.so.1': link('ld-musl-x86_64.so.1'),
    '/bin/busybox': exe(''),
    '/bin/sh': link('/bin/busybox'),
    '/etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
    '/etc/os-release': 'NAME="Alpine Linux"\nID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n',
    '/usr/bin': { kind: 'dir' },
  };

  it('musl (Alpine) is refused with the reason', async () => {
    const facts = await detectImageFacts(input(), new MemoryImageFs(ALPINE));
    expect(facts.libc).toEqual({
      kind: 'musl',
      version: null,
      evidence: '/lib/ld-musl-x86_64.so.1 exists and no glibc libc.so.6 does (Alpine Linux v3.20)',
    });
    expect(facts.unsupported).toEqual([
      'musl libc (/lib/ld-musl-x86_64.so.1 (Alpine Linux v3.20), Alpine style): the Node.js runtime of hubify-proxy is built ' +
        'for glibc. Use a glibc-based image (Debian, Ubuntu, Red Hat family) instead.',
    ]);
  });

  it('a musl loader next to glibc (Debian with the musl package) is glibc, with a note', async () => {
    const { facts } = await detect({ '/usr/lib/ld-musl-x86_64.so.1': exe('') });
    expect(facts.libc.kind).toBe('glibc');
    expect(facts.unsupported).toEqual([]);
    expect(facts.notes).toContainEqual(
      '/lib/ld-musl-x86_64.so.1 exists too (a musl package next to glibc); hubify uses glibc.',
    );
  });

  it('glibc older than 2.28 (read from the old libc-X.Y.so name) is refused', async () => {
    const facts = await detectImageFacts(
      input(),
      new MemoryImageFs({
        '/lib64/libc.so.6': link('libc-2.17.so'),
        '/lib64/libc-2.17.so': exe(''),
        '/bin/sh': exe(),
        '/etc/os-release': 'PRETTY_NAME="CentOS Linux 7 (Core)"\n',
      }),
    );
    expect(facts.libc).toEqual({
      kind: 'glibc',
      version: '2.17',
      evidence: '/lib64/libc.so.6 -> /lib64/libc-2.17.so (CentOS Linux 7 (Core))',
    });
    expect(facts.unsupported).toEqual([expect.stringContaining('glibc 2.17 is older than 2.28')]);
  });

  it("without ldd, glibc's version comes from its banner", async () => {
    const facts = await detectImageFacts(
      input(),
      new MemoryImageFs({
        '/usr/lib/x86_64-linux-gnu/libc.so.6': exe(
          '\x7fELF...GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36.\n',
        ),
        '/lib': link('usr/lib'),
      }),
    );
    expect(facts.libc.version).toBe('2.36');
    expect(facts.libc.evidence).toContain('its banner says release version 2.36');
  });

  it('no C library at all is refused', async () => {
    const facts = await detectImageFacts(input(), new MemoryImageFs({ '/app/server': exe('') }));
    expect(facts.libc.kind).toBe('unknown');
    expect(facts.unsupported).toEqual([
      expect.stringMatching(/^no C library found .*needs glibc 2.28 or newer\.$/),
    ]);
    expect(facts.notes).toContainEqual('The image has no /etc/passwd: the build writes one.');
  });

  it('an architecture other than amd64/arm64, or another OS, is refused', async () => {
    const { facts } = await detect({}, {}, { architecture: 's390x' });
    expect(facts.unsupported).toEqual([
      'architecture s390x: hubify-proxy is shipped for amd64 and arm64 only.',
    ]);
    const arm = await detect(
      { '/usr/lib/aarch64-linux-gnu/libc.so.6': exe('') },
      {},
      { architecture: 'aarch64' },
    );
    expect(arm.facts.architecture).toBe('arm64');
    expect(arm.facts.unsupported).toEqual([]);
    expect(arm.facts.libc.evidence).toContain('/lib/aarch64-linux-gnu/libc.so.6');
    const windows = await detect({}, {}, { os: 'windows' });
    expect(windows.facts.unsupported).toContain(
      'the image is for windows; hubify supports linux images only.',
    );
  });

  it('a filesystem that cannot be read is refused with the reason', async () => {
    const failing: ImageFs = {
      stat: () => Promise.reject(new ImageFsError('cannot stat /etc/passwd: (HTTP code 500) server error')),
      readFile: () => Promise.reject(new ImageFsError('cannot read /etc/passwd: boom')),
      list: () => Promise.resolve(null),
    };
    const facts = await detectImageFacts(input({ user: '1000' }), failing);
    expect(facts.unsupported).toEqual([
      expect.stringMatching(/^cannot read the image's filesystem: cannot (stat|read) \/etc\/passwd/),
    ]);
    expect(facts.apps).toEqual([]);
    expect(facts.defaultUser.uid).toBe(1000);
    const none = await detectImageFacts(
      input(),
      null,
      'the engine cannot create a container from it: no command',
    );
    expect(none.unsupported).toEqual([
      "cannot read the image's filesystem: the engine cannot create a container from it: no command",
    ]);
  });
});

describe('users', () => {
  it('USER as a uid without a passwd entry is noted', async () => {
    const { facts } = await detect({}, { user: '4242' });
    expect(facts.defaultUser).toEqual({ name: '4242', uid: 4242, gid: 0, home: '/', shell: '' });
    expect(facts.notes).toContainEqual(expect.stringContaining('uid 4242, which has no /etc/passwd entry'));
  });

  it('USER uid:gid as docker-stacks writes it', async () => {
    const { facts } = await detect(
      { '/etc/passwd': 'root:x:0:0::/root:/bin/bash\njovyan:x:1000:100::/home/jovyan:/bin/bash\n' },
      { user: '1000:100' },
    );
    expect(facts.defaultUser).toMatchObject({ name: 'jovyan', uid: 1000, gid: 100 });
    expect(facts.notes).toEqual([]);
  });
});
