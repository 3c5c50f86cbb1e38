// The GitHub Action's logic (action/lib.mjs): inputs read as the runner passes them (INPUT_<NAME>,
// upper case, spaces to underscores, hyphens kept), booleans and platforms checked, the CLI argument
// lists, $GITHUB_OUTPUT entries that survive any value, escaped ::error:: lines, the step summary
// table, and the digest picked from the engine's RepoDigests.
import { describe, expect, it } from 'vitest';
import {
  bootstrapCommands,
  buildArgs,
  errorCommand,
  getInput,
  InputError,
  outputEntry,
  parsePlatforms,
  pushedDigest,
  readInputs,
  repositoryOf,
  stepSummary,
  testArgs,
  testTable,
} from '../../action/lib.mjs';

describe('inputs', () => {
  it('are read from INPUT_<NAME> as the runner names them, trimmed', () => {
    const env = { INPUT_IMAGE: ' rocker/rstudio:4.4 ', 'INPUT_HUB-IMAGE': 'hub:1', INPUT_MY_INPUT: 'x' };
    expect(getInput(env, 'image')).toBe('rocker/rstudio:4.4');
    expect(getInput(env, 'hub-image')).toBe('hub:1');
    expect(getInput(env, 'my input')).toBe('x');
    expect(getInput(env, 'tag')).toBe('');
  });

  it('have defaults (push false, test true, the image platform) and are checked', () => {
    expect(readInputs({ INPUT_IMAGE: 'a', INPUT_TAG: 'b' })).toEqual({
      image: 'a',
      tag: 'b',
      push: false,
      platform: null,
      test: true,
      hubImage: '',
    });
    expect(
      readInputs({
        INPUT_IMAGE: 'a',
        INPUT_TAG: 'b',
        INPUT_PUSH: 'True',
        INPUT_TEST: 'FALSE',
        INPUT_PLATFORMS: 'linux/arm64',
      }),
    ).toMatchObject({ push: true, test: false, platform: 'linux/arm64' });
    expect(() => readInputs({ INPUT_TAG: 'b' })).toThrow(/"image" is required/);
    expect(() => readInputs({ INPUT_IMAGE: 'a' })).toThrow(/"tag" is required/);
    expect(() => readInputs({ INPUT_IMAGE: 'a', INPUT_TAG: 'b', INPUT_PUSH: 'yes' })).toThrow(InputError);
  });

  it('take one platform, from any list spelling, and refuse several or unknown ones', () => {
    expect(parsePlatforms('')).toBeNull();
    expect(parsePlatforms('linux/amd64\n')).toBe('linux/amd64');
    expect(parsePlatforms('linux/amd64, linux/amd64')).toBe('linux/amd64');
    expect(() => parsePlatforms('linux/amd64,linux/arm64')).toThrow(/one platform per image.*matrix/);
    expect(() => parsePlatforms('linux/s390x')).toThrow(/not supported/);
  });
});

describe('commands', () => {
  it('build and test with --json, platform and push only when asked', () => {
    const inputs = { image: 'a', tag: 'b:1', platform: null, hubImage: '' };
    expect(buildArgs(inputs, false)).toEqual(['build', 'a', '--tag', 'b:1', '--json']);
    expect(buildArgs({ ...inputs, platform: 'linux/arm64' }, true)).toEqual([
      'build',
      'a',
      '--tag',
      'b:1',
      '--platform',
      'linux/arm64',
      '--push',
      '--json',
    ]);
    expect(testArgs(inputs)).toEqual(['test', 'b:1', '--json']);
    expect(testArgs({ ...inputs, hubImage: 'hub:1' })).toEqual([
      'test',
      'b:1',
      '--hub-image',
      'hub:1',
      '--json',
    ]);
  });

  it('install and build the CLI only when dist/hubify.mjs is missing', () => {
    expect(bootstrapCommands(true, true)).toEqual([]);
    expect(bootstrapCommands(false, true)).toEqual([
      ['ci', '--no-audit', '--no-fund', '--loglevel=error'],
      ['run', '--silent', 'build'],
    ]);
    expect(bootstrapCommands(false, false)[0]?.[0]).toBe('install');
  });
});

describe('runner files and commands', () => {
  it('write outputs with a delimiter that never occurs in the value', () => {
    const delimiters = ['EOF', 'EOF', 'X1'];
    const next = () => delimiters.shift() ?? 'X2';
    expect(outputEntry('image', 'a:1', () => 'D')).toBe('image<<D\na:1\nD\n');
    expect(outputEntry('text', 'line\nEOF\nmore', next)).toBe('text<<X1\nline\nEOF\nmore\nX1\n');
    expect(outputEntry('x', 'y')).toMatch(/^x<<ghadelimiter_[0-9a-f]{32}\ny\nghadelimiter_[0-9a-f]{32}\n$/);
  });

  it('escape ::error:: titles and messages', () => {
    expect(errorCommand('hubify: failed, badly', '100% broken\nsecond line')).toBe(
      '::error title=hubify%3A failed%2C badly::100%25 broken%0Asecond line',
    );
  });

  it('write the hubify test table with escaped cells', () => {
    const table = testTable({
      hubImage: 'hub:1',
      hubVersion: '3.0.0',
      passed: false,
      totalMs: 12_345,
      checks: [
        { name: 'endpoint-security', status: 'pass', ms: 6300, detail: 'a | b' },
        { name: 'app:x', status: 'fail', ms: 100, detail: 'line 1\nline 2' },
        { name: 'stop', status: 'skip', ms: 0, detail: 'skipped' },
      ],
    });
    expect(table).toContain('### hubify test: FAILED');
    expect(table).toContain('JupyterHub 3.0.0 (hub:1): 1 passed, 1 failed, 1 skipped in 12.3 s');
    expect(table).toContain('| endpoint-security | ✅ pass | 6.3 s | a \\| b |');
    expect(table).toContain('| app:x | ❌ fail | 0.1 s | line 1<br>line 2 |');
    const summary = stepSummary(
      {
        tag: 't',
        image: 't',
        digest: 'sha256:1',
        base: 'b',
        platform: 'linux/amd64',
        apps: [],
        pushed: false,
      },
      null,
    );
    expect(summary).toContain('| Digest | `sha256:1` (image id, not pushed) |');
    expect(summary).toContain('| Apps | none |');
    expect(summary).not.toContain('hubify test');
  });

  it('find the pushed digest of the tag among RepoDigests (a registry port is not a tag)', () => {
    expect(repositoryOf('127.0.0.1:5000/a/b:1')).toBe('127.0.0.1:5000/a/b');
    expect(repositoryOf('127.0.0.1:5000/a/b')).toBe('127.0.0.1:5000/a/b');
    expect(repositoryOf('a/b@sha256:1')).toBe('a/b');
    const digests = ['other/repo@sha256:0', '127.0.0.1:5000/a/b@sha256:2'];
    expect(pushedDigest(digests, '127.0.0.1:5000/a/b:1')).toBe('sha256:2');
    expect(pushedDigest(digests, 'a/b:1')).toBeNull();
  });
});
