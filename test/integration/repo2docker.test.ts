// repo2docker: an image built from a Dockerfile shaped like repo2docker's output, with the snippet of
// `hubify appendix` pasted exactly where `repo2docker --appendix` puts it, passes `hubify test`.
//
// The shape follows repo2docker's template (repo2docker/buildpacks/base.py, TEMPLATE, 2026): NB_USER
// and NB_UID build args, the uid-1000 user renamed or created, USER/HOME/REPO_DIR/APP_BASE/CONDA_DIR/
// NB_PYTHON_PREFIX, PATH with the notebook env and ~/.local/bin, the repository copied to REPO_DIR, a
// `start` script as R2D_ENTRYPOINT, `USER ${NB_USER}`, python3-login and repo2docker-entrypoint,
// `ENTRYPOINT ["/usr/local/bin/repo2docker-entrypoint"]`, `CMD ["jupyter", "notebook", "--ip",
// "0.0.0.0"]`, then `# Appendix:` and the appendix verbatim at the very end. What is modelled, by
// necessity (no container registry, no PyPI here): the base is the docker-stacks fixture (Debian, a
// real Notebook 6 and a real jupyterhub-singleuser, Debian's JupyterHub 3.0) instead of
// buildpack-deps:24.04, and the notebook env /srv/conda/envs/notebook is links to those programs
// instead of a conda install; repo2docker-entrypoint is a short Python port with the same contract
// (prepend $R2D_ENTRYPOINT, tee the output to $REPO_DIR/.jupyter-server-log.txt, relay signals, exit
// with the child's code). The image keeps a real jupyterhub-singleuser on its PATH, as repo2docker
// images do: the test proves the hub gets hubify's runtime anyway (hubify test's endpoint check sees
// the runtime's launcher redirect to the detected notebook app).
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { buildImage, connectDocker, newTestRunId, runContainer } from '../helpers/docker.ts';
import { describeRun, expectHubifyTestPasses, runNode } from '../helpers/hubify-cli.ts';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const RUNTIME_IMAGE = 'hubify-test/runtime:r2d';
const IMAGE = 'hubify-test/repo2docker:latest';
const runId = newTestRunId('repo2docker');

/** repo2docker's Dockerfile up to its CMD line (its template with a conda-style notebook env). */
const REPO2DOCKER_DOCKERFILE = `FROM hubify-fixture/docker-stacks:latest
USER root

# Avoid prompts from apt
ENV DEBIAN_FRONTEND=noninteractive

ENV LC_ALL=C.UTF-8 \\
    LANG=C.UTF-8 \\
    LANGUAGE=C.UTF-8

# Use bash as default shell, rather than sh
ENV SHELL=/bin/bash

# Set up user
ARG NB_USER
ARG NB_UID
ENV USER=\${NB_USER} \\
    HOME=/home/\${NB_USER}

RUN if getent group \${NB_UID}; then \\
      GROUP_1000="$(getent group \${NB_UID} | cut -d: -f1)"; \\
      if [ "$GROUP_1000" != "$NB_USER" ]; then \\
        groupmod --new-name \${NB_USER} "$GROUP_1000"; \\
      fi; \\
    else \\
      groupadd --gid \${NB_UID} \${NB_USER}; \\
    fi
RUN if id \${NB_UID}; then \\
      USER_1000="$(id \${NB_UID} -un)"; \\
      if [ "$USER_1000" != "$NB_USER" ]; then \\
        usermod --home "/home/$NB_USER" --login "$NB_USER" --move-home "$USER_1000"; \\
      fi; \\
    else \\
      useradd --comment "Default user" --create-home --gid \${NB_UID} --no-log-init \\
        --shell /bin/bash --uid \${NB_UID} \${NB_USER}; \\
    fi

EXPOSE 8888

# Environment variables required for build
ENV APP_BASE=/srv
ENV CONDA_DIR=\${APP_BASE}/conda
ENV NB_PYTHON_PREFIX=\${CONDA_DIR}/envs/notebook
ENV NPM_DIR=\${APP_BASE}/npm
ENV NPM_CONFIG_GLOBALCONFIG=\${NPM_DIR}/npmrc
ENV NB_ENVIRONMENT_FILE=/tmp/env/environment.lock
ENV MAMBA_ROOT_PREFIX=\${CONDA_DIR}
ENV MAMBA_EXE=\${CONDA_DIR}/bin/mamba
ENV CONDA_PLATFORM=linux-64
ENV KERNEL_PYTHON_PREFIX=\${NB_PYTHON_PREFIX}
# Special case PATH
ENV PATH=\${NB_PYTHON_PREFIX}/bin:\${CONDA_DIR}/bin:\${NPM_DIR}/bin:\${PATH}

# The notebook env (modelled: links to the fixture's real programs instead of a conda install)
RUN mkdir -p \${NB_PYTHON_PREFIX}/bin \${NB_PYTHON_PREFIX}/conda-meta \${CONDA_DIR}/bin && \\
    ln -s /usr/bin/python3 /usr/bin/jupyter /usr/bin/jupyter-notebook /usr/bin/jupyterhub-singleuser \\
      \${NB_PYTHON_PREFIX}/bin/ && \\
    chown -R \${NB_USER}:\${NB_USER} \${APP_BASE}

# ensure root user after build scripts
USER root

# Allow target path repo is cloned to be configurable
ARG REPO_DIR=\${HOME}
ENV REPO_DIR=\${REPO_DIR}
# Create a folder and grant the user permissions if it doesn't exist
RUN if [ ! -d "\${REPO_DIR}" ]; then \\
        /usr/bin/install -o \${NB_USER} -g \${NB_USER} -d "\${REPO_DIR}"; \\
    fi

WORKDIR \${REPO_DIR}
RUN chown \${NB_USER}:\${NB_USER} \${REPO_DIR}

ENV PATH=\${HOME}/.local/bin:\${REPO_DIR}/.local/bin:\${PATH}

# The rest of the environment
ENV CONDA_DEFAULT_ENV=\${KERNEL_PYTHON_PREFIX}
# ensure root user after preassemble scripts
USER root

# Copy stuff.
COPY --chown=1000:1000 src/ \${REPO_DIR}/

# Container image Labels!
LABEL repo2docker.ref="None"
LABEL repo2docker.repo="local"
LABEL repo2docker.version="2026.04.0"

# We always want containers to run as non-root
USER \${NB_USER}

# Add start script
RUN chmod +x "\${REPO_DIR}/start"
ENV R2D_ENTRYPOINT="\${REPO_DIR}/start"

# Add entrypoint
ENV PYTHONUNBUFFERED=1
COPY /python3-login /usr/local/bin/python3-login
COPY /repo2docker-entrypoint /usr/local/bin/repo2docker-entrypoint
ENTRYPOINT ["/usr/local/bin/repo2docker-entrypoint"]

# Specify the default command to run
CMD ["jupyter", "notebook", "--ip", "0.0.0.0"]

`;

const PYTHON3_LOGIN = `#!/bin/bash -l
# Launches Python in a login shell (as repo2docker's python3-login).
exec python3 -u "$@"
`;

/** repo2docker-entrypoint's contract, as a short port: see the top of this file. */
const REPO2DOCKER_ENTRYPOINT = `#!/usr/local/bin/python3-login
import os, signal, subprocess, sys, tempfile

def main():
    log = None
    for directory in [os.environ.get("REPO_DIR"), ".", tempfile.gettempdir()]:
        if not directory:
            continue
        try:
            log = open(os.path.join(directory, ".jupyter-server-log.txt"), "ab")
            break
        except OSError:
            continue
    command = sys.argv[1:]
    if os.environ.get("R2D_ENTRYPOINT"):
        command.insert(0, os.environ["R2D_ENTRYPOINT"])
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for signum in set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD}:
        try:
            signal.signal(signum, lambda sig, frame: child.send_signal(sig))
        except (OSError, ValueError):
            pass
    for chunk in iter(lambda: child.stdout.read1(1024), b""):
        sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
        if log:
            log.write(chunk)
            log.flush()
    sys.exit(child.wait())

main()
`;

/** The repository's \`start\` file: marks that it ran, then runs the command (as repo2docker asks). */
const START = `#!/bin/bash
echo "repo start script ran" >&2
exec "$@"
`;

let docker: Docker;
let appendix: string;

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  await ensureFixtures(['docker-stacks'], { docker, log: () => {} });
  const args = ['runtime-image', '--tag', RUNTIME_IMAGE];
  const made = await runNode(args, { timeoutMs: 10 * 60_000 });
  if (made.code !== 0) throw new Error(describeRun(args, made));
  const printed = await runNode(['appendix', '--runtime-image', RUNTIME_IMAGE]);
  if (printed.code !== 0) throw new Error(describeRun(['appendix'], printed));
  appendix = printed.stdout;
  // As repo2docker renders it: "# Appendix:", the text verbatim, a newline.
  const dockerfile = `${REPO2DOCKER_DOCKERFILE}# Appendix:\n${appendix}\n`;
  await buildImage(docker, {
    context: [
      { path: 'Dockerfile', content: Buffer.from(dockerfile), mode: 0o644 },
      { path: 'python3-login', content: Buffer.from(PYTHON3_LOGIN), mode: 0o755 },
      { path: 'repo2docker-entrypoint', content: Buffer.from(REPO2DOCKER_ENTRYPOINT), mode: 0o755 },
      { path: 'src/start', content: Buffer.from(START), mode: 0o755 },
      { path: 'src/README.md', content: Buffer.from('A repository.\n'), mode: 0o644 },
    ],
    tags: [IMAGE],
    buildArgs: { NB_USER: 'jovyan', NB_UID: '1000' },
    networkMode: 'none',
  });
}, 20 * 60_000);

describe('hubify appendix in a repo2docker-shaped build', () => {
  it('is plain Dockerfile lines that restore USER ${NB_USER} and name the runtime image', () => {
    const lines = appendix.trimEnd().split('\n');
    expect(lines).toContain('USER root');
    expect(lines).toContain(`COPY --from=${RUNTIME_IMAGE} /opt/hubify /opt/hubify`);
    expect(lines.filter((line) => line.startsWith('USER ')).at(-1)).toBe('USER ${NB_USER}');
    expect(lines.at(-1)).toBe('CMD []');
  });

  it('detects the notebook env inside the image and keeps its user and repo2docker entrypoint', async () => {
    const info = await docker.getImage(IMAGE).inspect();
    expect(info.Config.User).toBe('jovyan');
    expect(info.Config.Entrypoint).toEqual([
      '/opt/hubify/bin/tini',
      '--',
      '/usr/local/bin/repo2docker-entrypoint',
      '/opt/hubify/bin/hubify-entrypoint',
    ]);
    const run = await runContainer(docker, {
      image: IMAGE,
      entrypoint: ['cat'],
      cmd: ['/opt/hubify/manifest.json'],
      testRunId: runId,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    const manifest = JSON.parse(run.stdout) as { apps: { name: string; command: string[] }[] };
    expect(manifest.apps.map((app) => app.name)).toEqual(['notebook']);
    expect(manifest.apps[0]?.command[0]).toBe('/srv/conda/envs/notebook/bin/jupyter-notebook');
  });

  it('passes hubify test with the spawner command and with the image command, the start script run', async () => {
    await expectHubifyTestPasses(IMAGE, ['notebook']);
    await expectHubifyTestPasses(IMAGE, ['notebook'], ['--use-image-cmd']);
    const run = await runContainer(docker, {
      image: IMAGE,
      cmd: ['sh', '-c', 'echo "$0 ran as $(id -un)"'],
      testRunId: runId,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('sh ran as jovyan');
    expect(`${run.stdout}${run.stderr}`).toContain('repo start script ran');
  });

  it('writes the server log where repo2docker does', async () => {
    const run = await runContainer(docker, {
      image: IMAGE,
      cmd: ['sh', '-c', 'echo logged; sleep 0.2; cat "$REPO_DIR/.jupyter-server-log.txt"'],
      testRunId: runId,
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.split('logged').length).toBeGreaterThanOrEqual(3);
  });
});
