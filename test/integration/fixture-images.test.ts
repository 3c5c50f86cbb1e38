// The fixture images of test/images/ (the inputs of the `hubify build` / `hubify test` container
// tests): builds them, or finds them cached by recipe hash, and checks each one in a real container.
// Needs a Docker engine (bash test/setup/docker-engine.sh); without one these tests FAIL.
import type Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import {
  connectDocker,
  inspectImage,
  newTestRunId,
  removeContainersByLabel,
  runContainer,
  TEST_RUN_LABEL,
  type RunOptions,
  type RunResult,
} from '../helpers/docker.ts';
import {
  ensureFixtures,
  FIXTURE_NAMES,
  type BuiltImage,
  type FixtureName,
} from '../images/build-fixtures.ts';

// A cold build of all five (debootstrap included) takes a few minutes on the 2-core test machines;
// cached, this is a handful of inspect calls.
const BUILD_TIMEOUT_MS = 30 * 60_000;
const RUN_TIMEOUT_MS = 60_000;

const testRunId = newTestRunId('fixtures');
let docker: Docker;
let images: Map<FixtureName, BuiltImage>;

function image(name: FixtureName): string {
  const built = images.get(name);
  if (!built) throw new Error(`fixture ${name} was not built`);
  return built.ref;
}

async function run(name: FixtureName, cmd: string[], options: Partial<RunOptions> = {}): Promise<RunResult> {
  const result = await runContainer(docker, {
    image: image(name),
    cmd,
    testRunId,
    timeoutMs: RUN_TIMEOUT_MS,
    ...options,
  });
  expect(result.timedOut, `${name}: ${cmd.join(' ')} timed out`).toBe(false);
  return result;
}

/** Runs `bash -c script` and expects exit 0, quoting the output when it is not. */
async function sh(name: FixtureName, script: string, options: Partial<RunOptions> = {}): Promise<string> {
  const result = await run(name, ['bash', '-c', script], options);
  expect(result.exitCode, `${name}: ${script}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);
  return result.stdout;
}

// A failed set-up (no engine, a failed build) fails every test with its error: vitest would
// otherwise report the tests of a failed beforeAll as skipped.

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  const { fixtures } = await ensureFixtures(FIXTURE_NAMES, {
    docker,
    log: (line) => {
      // Step headers and results only: a cold build prints thousands of apt lines.
      if (/Step \d+\/\d+|built |made |building |debootstrap|docker import|ERROR/.test(line))
        console.log(line);
    },
  });
  images = fixtures;
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (docker) await removeContainersByLabel(docker, TEST_RUN_LABEL, testRunId);
});

describe('fixture images', () => {
  it('are tagged by recipe hash and :latest, and labelled with their name', async () => {
    for (const name of FIXTURE_NAMES) {
      const built = images.get(name);
      expect(built?.ref).toMatch(new RegExp(`^hubify-fixture/${name}:[0-9a-f]{12}$`));
      const latest = await inspectImage(docker, `hubify-fixture/${name}:latest`);
      expect(latest?.Id, `${name}:latest points at the current recipe`).toBe(built?.id);
      expect(latest?.Config.Labels?.['org.hubify.fixture']).toBe(name);
    }
  });

  it('debian: plain bookworm minbase, root, CMD bash, apt sources of the host', async () => {
    const info = await inspectImage(docker, image('debian'));
    expect(info?.Config.Cmd).toEqual(['bash']);
    expect(info?.Config.User ?? '').toBe('');
    const out = await sh(
      'debian',
      'id -u; cut -d. -f1 /etc/debian_version; ls /etc/apt/sources.list.d; getent passwd 1000 || echo none',
    );
    const [uid, major, sources, user1000] = out.split('\n');
    expect([uid, major, user1000]).toEqual(['0', '12', 'none']);
    expect(sources).toMatch(/\.(sources|list)$/);
  });

  it('rocker-r: R and Shiny load as user rstudio, with Rocker environment', async () => {
    const info = await inspectImage(docker, image('rocker-r'));
    expect(info?.Config.User ?? '').toBe('');
    expect(info?.Config.Cmd).toEqual(['/init']);
    const env = new Map(
      (info?.Config.Env ?? []).map((entry) => entry.split(/=(.*)/s, 2) as [string, string]),
    );
    expect(env.get('DEFAULT_USER')).toBe('rstudio');
    expect(env.get('LANG')).toBe('en_US.UTF-8');
    expect(env.get('TZ')).toBe('Etc/UTC');
    expect(env.get('R_HOME')).toBe('/usr/lib/R');
    expect(env.get('CRAN')).toBeTruthy();
    expect(env.get('PATH')?.startsWith('/usr/lib/rstudio-server/bin:')).toBe(true);

    const script = [
      'library(shiny)',
      'app <- shinyAppDir("/srv/shiny-server/hello")',
      'cat(Sys.getenv("USER"), R.home(), as.character(getRversion()), as.character(packageVersion("shiny")),',
      '    class(app)[1], Sys.getlocale("LC_CTYPE"), sep = "\\n")',
    ].join('\n');
    const result = await run('rocker-r', ['Rscript', '-e', script], {
      user: 'rstudio',
      env: { USER: 'rstudio' },
    });
    expect(result.exitCode, result.stderr).toBe(0);
    const [user, rHome, rVersion, shinyVersion, appClass, locale] = result.stdout.split('\n');
    expect(user).toBe('rstudio');
    expect(rHome).toBe('/usr/lib/R');
    expect(rVersion).toMatch(/^4\.\d+\.\d+$/);
    expect(shinyVersion).toMatch(/^1\.\d+/);
    expect(appClass).toBe('shiny.appobj');
    expect(locale).toBe('en_US.UTF-8');

    const who = await sh('rocker-r', 'id -u; id -g; id -Gn; echo "$HOME"; command -v R Rscript', {
      user: 'rstudio',
    });
    expect(who.split('\n')).toEqual([
      '1000',
      '1000',
      'rstudio staff',
      '/home/rstudio',
      '/usr/local/bin/R',
      '/usr/local/bin/Rscript',
      '',
    ]);
  });

  it('rocker-r: /init refuses to run as non-root, as s6-overlay does, and runs as root', async () => {
    const refused = await run('rocker-r', ['/init'], { user: 'rstudio' });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('unable to mkdir /var/run/s6');

    const asRoot = await run('rocker-r', ['/init', 'id', '-un']);
    expect(asRoot.exitCode, asRoot.stderr).toBe(0);
    expect(asRoot.stdout).toContain('[cont-init.d] done.');
    expect(asRoot.stdout).toMatch(/^root$/m);
  });

  it('rocker-r: RStudio Server is a layout model only (its binaries say so and exit 1)', async () => {
    const layout = await sh(
      'rocker-r',
      'ls /usr/lib/rstudio-server/bin; cat /etc/rstudio/rserver.conf; test ! -e /var/lib/rstudio-server/secure-cookie-key && echo no-key',
    );
    expect(layout.split('\n')).toEqual([
      'rserver',
      'rsession',
      'rstudio-server',
      'rsession-which-r=/usr/local/bin/R',
      'no-key',
      '',
    ]);
    const rserver = await run('rocker-r', ['rserver', '--version']);
    expect(rserver.exitCode).toBe(1);
    expect(rserver.stderr).toContain('layout fixture, not RStudio Server');
  });

  it('rocker-r: nothing Python (no python3, no python)', async () => {
    const result = await run('rocker-r', [
      'bash',
      '-c',
      'command -v python3 python; ls /usr/bin | grep -c "^python" || true',
    ]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('0\n');
  });

  it('conda-notebook: jupyter-notebook from /opt/conda/bin as user 1000, conda prefix layout', async () => {
    const info = await inspectImage(docker, image('conda-notebook'));
    expect(info?.Config.User).toBe('1000');
    const out = await sh(
      'conda-notebook',
      'id -u; command -v jupyter-notebook python; jupyter-notebook --version; python -c "import sys; print(sys.prefix)"; ls /opt/conda/conda-meta/*.json | wc -l',
    );
    const [uid, notebookPath, pythonPath, version, prefix, records] = out.split('\n');
    expect(uid).toBe('1000');
    expect(notebookPath).toBe('/opt/conda/bin/jupyter-notebook');
    expect(pythonPath).toBe('/opt/conda/bin/python');
    expect(version).toMatch(/^6\.\d+\.\d+$/);
    expect(prefix).toBe('/opt/conda');
    expect(Number(records)).toBeGreaterThanOrEqual(3);

    const meta = await sh('conda-notebook', 'cat /opt/conda/conda-meta/notebook-*.json');
    expect(JSON.parse(meta)).toMatchObject({ name: 'notebook', version, subdir: 'linux-64' });
    const singleuser = await run('conda-notebook', ['bash', '-c', 'command -v jupyterhub-singleuser']);
    expect(singleuser.exitCode, 'conda-notebook has no jupyterhub-singleuser').not.toBe(0);
  });

  it('docker-stacks: jovyan (1000:100), start scripts, jupyterhub-singleuser present', async () => {
    const info = await inspectImage(docker, image('docker-stacks'));
    expect(info?.Config.User).toBe('1000');
    expect(info?.Config.Entrypoint).toEqual(['tini', '-g', '--', 'start.sh']);
    expect(info?.Config.Cmd).toEqual(['start-notebook.py']);
    const env = info?.Config.Env ?? [];
    expect(env).toEqual(
      expect.arrayContaining(['NB_USER=jovyan', 'NB_UID=1000', 'NB_GID=100', 'HOME=/home/jovyan']),
    );

    const out = await sh(
      'docker-stacks',
      'id -un; id -u; id -g; echo "$HOME"; command -v jupyterhub-singleuser jupyter-notebook; ' +
        'for f in start.sh start-notebook.py start-notebook.sh start-singleuser.py start-singleuser.sh; do test -x /usr/local/bin/$f && echo $f; done',
      { entrypoint: [] },
    );
    expect(out.split('\n')).toEqual([
      'jovyan',
      '1000',
      '100',
      '/home/jovyan',
      '/usr/bin/jupyterhub-singleuser',
      '/usr/bin/jupyter-notebook',
      'start.sh',
      'start-notebook.py',
      'start-notebook.sh',
      'start-singleuser.py',
      'start-singleuser.sh',
      '',
    ]);

    // Through the image's own entrypoint: under a hub, start-notebook.py hands over to
    // start-singleuser.py, i.e. jupyterhub-singleuser (whose --version is JupyterHub's).
    const underHub = await run('docker-stacks', ['start-notebook.py', '--version'], {
      env: { JUPYTERHUB_API_TOKEN: 'not-a-real-token' },
    });
    expect(underHub.exitCode, underHub.stderr).toBe(0);
    expect(underHub.stdout).toContain('using start-singleuser.py');
    expect(underHub.stdout.trim().split('\n').at(-1)).toMatch(/^3\.\d+\.\d+$/);
    const standalone = await run('docker-stacks', ['start-notebook.py', '--version']);
    expect(standalone.exitCode, standalone.stderr).toBe(0);
    expect(standalone.stdout.trim().split('\n').at(-1)).toMatch(/^6\.\d+\.\d+$/);
  });

  it('desktop: TigerVNC, websockify and noVNC present for user 1000', async () => {
    const info = await inspectImage(docker, image('desktop'));
    expect(info?.Config.User).toBe('1000');
    const out = await sh(
      'desktop',
      'id -u; command -v vncserver websockify Xtigervnc; test -f /usr/share/novnc/vnc.html && echo novnc; Xtigervnc -version 2>&1 | head -n 2',
    );
    const lines = out.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      '1000',
      '/usr/bin/vncserver',
      '/usr/bin/websockify',
      '/usr/bin/Xtigervnc',
      'novnc',
    ]);
    expect(out).toMatch(/TigerVNC/);
  });

  it('leaves no container of this run behind (each check removed its own)', async () => {
    const left = await docker.listContainers({
      all: true,
      filters: { label: [`${TEST_RUN_LABEL}=${testRunId}`] },
    });
    expect(left).toEqual([]);
  });
});
