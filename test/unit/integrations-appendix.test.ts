// The Dockerfile lines of the COPY --from pattern (cli/integrations/copy-from/), the repo2docker
// appendix built from them, and templates/Dockerfile.copy-from.example, which must show exactly the
// lines the code writes (so the documented pattern cannot drift from `hubify appendix`).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HubifyError } from '../../cli/errors.ts';
import {
  checkRuntimeImage,
  copyLine,
  DEFAULT_RUNTIME_IMAGE,
  detectLine,
  EMPTY_CMD_LINE,
  entrypointLine,
} from '../../cli/integrations/copy-from/copy-from-lines.ts';
import { appendixSnippet, REPO2DOCKER_ENTRYPOINT } from '../../cli/integrations/repo2docker/appendix.ts';
import { main } from '../../cli/main.ts';

const example = readFileSync(
  new URL('../../templates/Dockerfile.copy-from.example', import.meta.url),
  'utf8',
);

describe('the COPY --from lines', () => {
  it('copy /opt/hubify and put tini then hubify-entrypoint in ENTRYPOINT', () => {
    expect(copyLine('me/rt:1')).toBe('COPY --from=me/rt:1 /opt/hubify /opt/hubify');
    expect(entrypointLine()).toBe(
      'ENTRYPOINT ["/opt/hubify/bin/tini", "-g", "--", "/opt/hubify/bin/hubify-entrypoint"]',
    );
    // A wrapped entrypoint relays signals itself: tini without -g, so the runtime gets one signal.
    expect(entrypointLine(['/x/entry'])).toBe(
      'ENTRYPOINT ["/opt/hubify/bin/tini", "--", "/x/entry", "/opt/hubify/bin/hubify-entrypoint"]',
    );
    expect(detectLine(null)).toBe('RUN /opt/hubify/bin/hubify-detect');
    expect(detectLine('${NB_USER}')).toBe('RUN /opt/hubify/bin/hubify-detect --user "${NB_USER}"');
  });

  it('refuse a runtime image name a Dockerfile could not use', () => {
    expect(checkRuntimeImage('127.0.0.1:5000/hubify/runtime:0.1.0')).toBe(
      '127.0.0.1:5000/hubify/runtime:0.1.0',
    );
    expect(() => checkRuntimeImage('Not An Image')).toThrow(HubifyError);
  });

  it('are the ones templates/Dockerfile.copy-from.example shows', () => {
    const runtime = /COPY --from=(\S+) \/opt\/hubify/.exec(example)?.[1];
    expect(runtime).toBe(DEFAULT_RUNTIME_IMAGE);
    const lines = example.split('\n');
    expect(lines).toContain(copyLine(DEFAULT_RUNTIME_IMAGE));
    expect(lines).toContain(entrypointLine());
    expect(lines).toContain('COPY hubify-manifest.json /opt/hubify/manifest.json');
    expect(example).toContain('RUN /opt/hubify/bin/hubify-detect --user jovyan');
    expect(example).toContain(`#   ${EMPTY_CMD_LINE}`);
  });
});

describe('hubify appendix', () => {
  it('switches to root, copies the runtime, detects the apps, restores NB_USER, keeps repo2docker-entrypoint, empties CMD', () => {
    const lines = appendixSnippet('me/rt:1').trimEnd().split('\n');
    const instructions = lines.filter((line) => !line.startsWith('#'));
    expect(instructions).toEqual([
      'USER root',
      'COPY --from=me/rt:1 /opt/hubify /opt/hubify',
      'RUN /opt/hubify/bin/hubify-detect --user "${NB_USER}"',
      'USER ${NB_USER}',
      entrypointLine([REPO2DOCKER_ENTRYPOINT]),
      'CMD []',
    ]);
    for (const comment of lines.filter((line) => line.startsWith('#'))) expect(comment).not.toContain('\n');
  });

  it('is printed by the CLI, with the default runtime image name or the one given, and refuses a bad one', async () => {
    const run = async (argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
      return { code, stdout, stderr };
    };
    const plain = await run(['appendix']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toBe(appendixSnippet(DEFAULT_RUNTIME_IMAGE));
    const named = await run(['appendix', '--runtime-image', 'me/rt:2']);
    expect(named.stdout).toContain('COPY --from=me/rt:2 /opt/hubify /opt/hubify');
    const bad = await run(['appendix', '--runtime-image', 'BAD NAME']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('[HUBIFY_USAGE]');
  });
});
