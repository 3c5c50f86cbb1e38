/**
 * The `repo2docker --appendix` snippet. repo2docker pastes it verbatim at the very end of its
 * Dockerfile, after a `# Appendix:` comment, i.e. after its own last lines:
 *
 *   USER ${NB_USER}
 *   ...
 *   ENTRYPOINT ["/usr/local/bin/repo2docker-entrypoint"]
 *   CMD ["jupyter", "notebook", "--ip", "0.0.0.0"]
 *   # Appendix:
 *   <this snippet>
 *
 * So the snippet runs as NB_USER and must say `USER root` to write /opt/hubify, and end with
 * `USER ${NB_USER}`. It copies the runtime, writes the manifest by detection inside the image (the
 * apps repo2docker installed: Jupyter from /srv/conda, RStudio and Shiny for R repos, ...), keeps
 * repo2docker's entrypoint between tini and hubify-entrypoint (so a repo's `start` script still runs
 * and the server log is still written), and empties CMD (repo2docker's `jupyter notebook` was set in
 * the same Dockerfile, so a new ENTRYPOINT alone would keep it). The spawner's
 * `jupyterhub-singleuser` then starts the hubify runtime, not the conda env's Python one. No Python is
 * added or run by hubify (repo2docker's own entrypoint is Python, as in every repo2docker image).
 */
import { LAYOUT } from '../../layer/layout.ts';
import {
  checkRuntimeImage,
  copyLine,
  detectLine,
  EMPTY_CMD_LINE,
  entrypointLine,
} from '../copy-from/copy-from-lines.ts';

/** repo2docker's entrypoint, kept behind tini. */
export const REPO2DOCKER_ENTRYPOINT = '/usr/local/bin/repo2docker-entrypoint';

export function appendixSnippet(runtimeImage: string): string {
  checkRuntimeImage(runtimeImage);
  return [
    `# hubify: make this image JupyterHub-ready with the hubify runtime (${runtimeImage}); no Python added.`,
    `# Build the runtime image first: hubify runtime-image --tag ${runtimeImage} [--push]`,
    'USER root',
    copyLine(runtimeImage),
    `# The manifest: the apps found in this image (written to ${LAYOUT.manifest}).`,
    detectLine('${NB_USER}'),
    'USER ${NB_USER}',
    entrypointLine([REPO2DOCKER_ENTRYPOINT]),
    EMPTY_CMD_LINE,
    '',
  ].join('\n');
}
