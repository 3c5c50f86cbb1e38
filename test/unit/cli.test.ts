import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CLI_ERROR_CODES, EXIT } from '../../cli/errors.ts';
import { main } from '../../cli/main.ts';
import type { CliIo } from '../../cli/output.ts';
import { MANIFEST_ISSUE_CODES } from '../../schemas/manifest.ts';

const root = join(import.meta.dirname, '..', '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const manyProblems = 'test/fixtures/manifests/invalid/many-problems.yaml';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hubify ARGS` in-process with captured output, from the repository root. */
async function hubify(args: string[], io: Partial<CliIo> = {}): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    stdout: (text) => void (stdout += text),
    stderr: (text) => void (stderr += text),
    cwd: root,
    env: {},
    ...io,
  });
  return { code, stdout, stderr };
}

const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

describe('hubify --help and --version', () => {
  it('prints the version from package.json', async () => {
    expect(await hubify(['--version'])).toEqual({ code: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('prints help listing the commands, options and exit codes', async () => {
    const run = await hubify(['--help']);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('Usage: hubify <command> [options]');
    expect(run.stdout).toContain('hubify manifest');
    expect(run.stdout).toContain('--debug');
    expect(run.stdout).toContain('Exit codes: 0 ok');
  });

  it('prints help for a subcommand', async () => {
    const run = await hubify(['manifest', 'validate', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('hubify manifest validate <file>');
    expect(run.stdout).toContain('--json');
  });
});

describe('bad usage', () => {
  it.each([
    [['frobnicate'], 'Unknown argument: frobnicate'],
    [['manifst'], 'Unknown command. Did you mean manifest?'],
    [['manifest', 'validate', 'x.yaml', '--jsn'], 'Unknown argument: jsn'],
    [['manifest'], 'Name a manifest subcommand'],
    [[], 'Name a command'],
    [['manifest', 'validate'], 'Not enough non-option arguments'],
  ])('hubify %j exits 2 with a clear message', async (args, message) => {
    const run = await hubify(args);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`hubify: ${message}`);
    expect(run.stderr).toContain('Run "hubify --help" to see the commands and options.  [HUBIFY_USAGE]');
    expect(run.stderr).not.toMatch(STACK_LINE);
  });
});

describe('hubify manifest validate', () => {
  it('says a valid manifest is valid and exits 0', async () => {
    const run = await hubify(['manifest', 'validate', 'test/fixtures/manifests/valid/two-apps.json']);
    expect(run).toEqual({
      code: 0,
      stdout: 'hubify: test/fixtures/manifests/valid/two-apps.json is valid (2 apps: lab, code)\n',
      stderr: '',
    });
  });

  it('prints every problem of an invalid manifest, no stack, and exits 2', async () => {
    const run = await hubify(['manifest', 'validate', manyProblems]);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stdout).toBe('');
    const lines = run.stderr.split('\n');
    expect(lines[0]).toBe(`hubify: ${manyProblems} is invalid (6 problems)`);
    for (const line of [
      '  defaultApp  names no app of this manifest  [HUBIFY_MANIFEST_UNKNOWN_DEFAULT_APP]',
      '  apps[0].port  must be an integer from 0 to 65535, got "88a"  [HUBIFY_MANIFEST_TYPE]',
      '  apps[0].prot  is not a known property  [HUBIFY_MANIFEST_UNKNOWN_PROPERTY]',
      '  apps[1].name  repeats the name of apps[0]  [HUBIFY_MANIFEST_DUPLICATE_APP]',
      '  apps[1].command[1]  uses the unknown placeholder {prot}  [HUBIFY_MANIFEST_UNKNOWN_PLACEHOLDER]',
      `  apps[2].name  is reserved for the runtime's own pages, got "api"  [HUBIFY_MANIFEST_RESERVED_NAME]`,
      'Fix them and run again (schema: schemas/manifest.v1.schema.json).',
    ]) {
      expect(lines).toContain(line);
    }
    expect(run.stderr).toContain(`      Did you mean "port"?  (${manyProblems}:8:5)`);
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('prints the result as JSON with --json', async () => {
    const run = await hubify(['manifest', 'validate', manyProblems, '--json']);
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as {
      valid: boolean;
      code: string;
      issues: Record<string, unknown>[];
    };
    expect(report.valid).toBe(false);
    expect(report.code).toBe('HUBIFY_MANIFEST_INVALID');
    expect(report.issues).toHaveLength(6);
    expect(report.issues[1]).toEqual({
      path: 'apps[0].port',
      rule: 'type',
      value: '88a',
      message: 'must be an integer from 0 to 65535, got "88a"',
      hint: 'Write an integer from 0 to 65535. For example: port: 8787',
      code: 'HUBIFY_MANIFEST_TYPE',
      line: 7,
      column: 11,
    });
  });

  it('prints the normalised manifest as JSON for a valid file', async () => {
    const run = await hubify([
      'manifest',
      'validate',
      'test/fixtures/manifests/valid/minimal.yaml',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      valid: true,
      issues: [],
      manifest: { schemaVersion: 1, apps: [] },
    });
  });

  it('exits 3 when the manifest file does not exist', async () => {
    const run = await hubify(['manifest', 'validate', 'no-such-manifest.yaml']);
    expect(run.code).toBe(EXIT.MISSING);
    expect(run.stderr).toBe(
      'hubify: cannot read the manifest no-such-manifest.yaml: it does not exist\n' +
        'Check the path; a manifest is usually hubify.yaml next to your Dockerfile.  [HUBIFY_MANIFEST_NOT_FOUND]\n',
    );
  });

  it('resolves the file against the working directory', async () => {
    const run = await hubify(['manifest', 'validate', 'valid/minimal.yaml'], {
      cwd: join(root, 'test', 'fixtures', 'manifests'),
    });
    expect(run.code).toBe(0);
  });
});

describe('internal errors', () => {
  const broken = {
    stdout: () => {
      throw new TypeError('stdout exploded');
    },
  };

  it('prints "internal error" with a bug-report hint, no stack, and exits 70', async () => {
    const run = await hubify(['--version'], broken);
    expect(run.code).toBe(EXIT.INTERNAL);
    expect(run.stderr).toMatch(/^hubify: internal error \(TypeError: stdout exploded\)\n/);
    expect(run.stderr).toContain(`This is a bug in hubify ${pkg.version}`);
    expect(run.stderr).toContain('--debug (or HUBIFY_DEBUG=1)');
    expect(run.stderr).toContain('[HUBIFY_INTERNAL]');
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('adds the stack with --debug or HUBIFY_DEBUG=1', async () => {
    expect((await hubify(['--version', '--debug'], broken)).stderr).toMatch(STACK_LINE);
    expect((await hubify(['--version'], { ...broken, env: { HUBIFY_DEBUG: '1' } })).stderr).toMatch(
      STACK_LINE,
    );
  });
});

describe('as a real process', () => {
  const tsx = join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs');

  async function spawnHubify(args: string[]): Promise<Run> {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, [tsx, 'cli/main.ts', ...args], {
        cwd: root,
        env: { ...process.env, HUBIFY_DEBUG: '' },
      });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('exits 2 for an invalid manifest and prints every problem without a stack', async () => {
    const run = await spawnHubify(['manifest', 'validate', manyProblems]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`hubify: ${manyProblems} is invalid (6 problems)`);
    expect(run.stderr).toContain('[HUBIFY_MANIFEST_RESERVED_NAME]');
    expect(run.stderr).not.toMatch(STACK_LINE);
  });

  it('prints the version', async () => {
    expect(await spawnHubify(['--version'])).toMatchObject({ code: 0, stdout: `${pkg.version}\n` });
  });
});

describe('documentation', () => {
  const readme = readFileSync(join(root, 'cli', 'README.md'), 'utf8');

  it('lists every exit code and every error code in cli/README.md', () => {
    for (const code of Object.values(EXIT)) expect(readme).toMatch(new RegExp(`\\|\\s*${code}\\s*\\|`));
    for (const code of [...Object.keys(CLI_ERROR_CODES), ...Object.keys(MANIFEST_ISSUE_CODES)]) {
      expect(readme).toContain(code);
    }
  });
});

describe('hubify manifest IMAGE', () => {
  it('is short for hubify manifest generate IMAGE; subcommands and flags are left alone', async () => {
    const { expandShorthands } = await import('../../cli/main.ts');
    expect(expandShorthands(['manifest', 'rocker/rstudio:4.4', '--out', 'm.json'])).toEqual([
      'manifest',
      'generate',
      'rocker/rstudio:4.4',
      '--out',
      'm.json',
    ]);
    expect(expandShorthands(['manifest', 'validate', 'x.yaml'])).toEqual(['manifest', 'validate', 'x.yaml']);
    expect(expandShorthands(['manifest', 'generate', 'img'])).toEqual(['manifest', 'generate', 'img']);
    expect(expandShorthands(['manifest', '--help'])).toEqual(['manifest', '--help']);
    expect(expandShorthands(['manifest'])).toEqual(['manifest']);
  });
});
