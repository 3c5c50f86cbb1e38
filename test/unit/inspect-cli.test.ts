// `hubify inspect` and `hubify manifest generate` on the command line, for what needs no engine: help,
// usage errors, and the options checked before the engine is asked (--app, --manifest). The runs
// against real images are in test/integration/inspect.test.ts.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.ts';
import { main } from '../../cli/main.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hubify-inspect-cli-'));
  await writeFile(join(dir, 'broken.yaml'), 'apps: [\n  - name: x\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function hubify(args: string[]) {
  let stdout = '';
  let stderr = '';
  // DOCKER_HOST points nowhere: a test that reached the engine would fail with exit 3, not pass.
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    cwd: dir,
    env: { DOCKER_HOST: 'tcp://127.0.0.1:1' },
  });
  return { code, stdout, stderr };
}

describe('help', () => {
  it('lists inspect and manifest generate', async () => {
    const top = await hubify(['--help']);
    expect(top.stdout).toContain('hubify inspect <image>');
    const manifest = await hubify(['manifest', '--help']);
    expect(manifest.stdout).toContain('hubify manifest generate <image>');
  });

  it('documents the options of each', async () => {
    const inspect = await hubify(['inspect', '--help']);
    expect(inspect.code).toBe(EXIT.OK);
    expect(inspect.stdout).toContain('--json');
    const generate = await hubify(['manifest', 'generate', '--help']);
    for (const option of ['--out', '--app', '--manifest']) expect(generate.stdout).toContain(option);
  });
});

describe('usage errors (exit 2), before any engine is asked', () => {
  it.each([
    [['inspect'], 'Not enough non-option arguments'],
    [['manifest', 'generate'], 'Not enough non-option arguments'],
    [['inspect', 'x', '--jsn'], 'Unknown argument: jsn'],
    [['manifest', 'generate', 'x', '--app', 'no-equals-sign'], '--app wants NAME=COMMAND'],
    [['manifest', 'generate', 'x', '--app', 'a=one | two'], 'the command holds the shell operator "|"'],
  ])('hubify %j', async (args, message) => {
    const run = await hubify(args);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain(message);
    expect(run.stderr).toContain('[HUBIFY_USAGE]');
  });

  it('a --manifest file that does not parse is HUBIFY_MANIFEST_SYNTAX', async () => {
    const run = await hubify(['manifest', 'generate', 'x', '--manifest', 'broken.yaml']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain('hubify: the --manifest file broken.yaml is not valid YAML or JSON');
    expect(run.stderr).toContain('[HUBIFY_MANIFEST_SYNTAX]');
  });
});

describe('missing parts (exit 3)', () => {
  it('a --manifest file that does not exist', async () => {
    const run = await hubify(['manifest', 'generate', 'x', '--manifest', 'nope.yaml']);
    expect(run.code).toBe(EXIT.MISSING);
    expect(run.stderr).toContain('hubify: cannot read the --manifest file nope.yaml: it does not exist');
    expect(run.stderr).toContain('[HUBIFY_MANIFEST_NOT_FOUND]');
  });
});
