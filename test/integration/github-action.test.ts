// The GitHub Action, run as the runner runs a JavaScript action: `node action/main.mjs` (action.yml's
// `runs.main`) with the inputs as INPUT_* variables (named as the runner names them: upper case,
// `hub-image` is INPUT_HUB-IMAGE), and GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files. On the
// conda-notebook fixture with `test: true` and `push: true` to a real registry on loopback (Debian's
// docker-registry): the step succeeds, the outputs (read with the runner's delimiter syntax) name the
// image and its digest, which is the registry's manifest digest and the engine's RepoDigest; the
// summary holds the `hubify test` table with every check passed. A bad input fails the step with an
// `::error::` line and writes no output.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { connectDocker, inspectImage } from '../helpers/docker.ts';
import { describeRun, HUB_IMAGE, REPO_ROOT, runNode, type CliResult } from '../helpers/hubify-cli.ts';
import { startRegistry, type RunningRegistry } from '../helpers/registry.ts';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const ENTRY = join(REPO_ROOT, 'action', 'main.mjs');
const BASE = 'hubify-fixture/conda-notebook:latest';

let docker: Docker;
let registry: RunningRegistry;
let scratch: string;

/** Runs the entry point like the runner: INPUT_* from `inputs`, fresh output and summary files. */
async function runAction(
  inputs: Record<string, string>,
): Promise<{ result: CliResult; outputs: string; summary: string }> {
  const dir = await mkdtemp(join(scratch, 'step-'));
  const outputFile = join(dir, 'output');
  const summaryFile = join(dir, 'summary.md');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_ACTIONS: 'true',
    RUNNER_TEMP: dir,
  };
  for (const [name, value] of Object.entries(inputs))
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  const result = await runNode([], { program: ENTRY, env, cwd: dir, timeoutMs: 10 * 60_000 });
  return {
    result,
    outputs: await readFile(outputFile, 'utf8'),
    summary: await readFile(summaryFile, 'utf8'),
  };
}

/** Reads a $GITHUB_OUTPUT file as the runner does (`name=value` and `name<<DELIM ... DELIM`). */
function parseOutputFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] ?? '';
    if (line === '') continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc?.[1] !== undefined && heredoc[2] !== undefined) {
      const end = lines.indexOf(heredoc[2], index + 1);
      if (end < 0) throw new Error(`output ${heredoc[1]}: no closing delimiter ${heredoc[2]}`);
      values[heredoc[1]] = lines.slice(index + 1, end).join('\n');
      index = end;
      continue;
    }
    const eq = line.indexOf('=');
    if (eq < 0) throw new Error(`not an output line: ${line}`);
    values[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return values;
}

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  await ensureFixtures(['conda-notebook'], { docker, log: () => {} });
  scratch = await mkdtemp(join(tmpdir(), 'hubify-action-'));
  registry = await startRegistry();
}, 20 * 60_000);

afterAll(async () => {
  await registry?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('action.yml', () => {
  it('is a JavaScript action on node24 whose main is the entry point, with the documented inputs and outputs', async () => {
    const action = parseYaml(await readFile(join(REPO_ROOT, 'action.yml'), 'utf8')) as {
      runs: { using: string; main: string };
      inputs: Record<string, { description: string; default?: string }>;
      outputs: Record<string, { description: string }>;
    };
    expect(action.runs).toEqual({ using: 'node24', main: 'action/main.mjs' });
    expect(Object.keys(action.inputs)).toEqual(
      expect.arrayContaining(['image', 'tag', 'push', 'platforms', 'test']),
    );
    expect(Object.keys(action.outputs).sort()).toEqual(['digest', 'image']);
    for (const input of Object.values(action.inputs)) expect(input.description.length).toBeGreaterThan(10);
  });
});

describe('the action entry point, run as the runner runs it', () => {
  it('builds, tests, pushes, and reports the image, its digest and the hubify test table', async () => {
    const tag = `${registry.host}/hubify-test/action:latest`;
    const { result, outputs, summary } = await runAction({
      image: BASE,
      tag,
      push: 'true',
      platforms: 'linux/amd64',
      test: 'true',
      'hub-image': HUB_IMAGE,
    });
    const context = `${describeRun(['(action)'], result)}\nsummary:\n${summary}\nregistry:\n${registry.log()}`;
    expect(result.code, context).toBe(0);
    expect(result.stdout).not.toContain('::error');

    const values = parseOutputFile(outputs);
    expect(Object.keys(values).sort()).toEqual(['digest', 'image']);
    expect(values.image).toBe(tag);
    expect(values.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The engine's: the RepoDigest the push recorded; the registry's: the manifest it serves.
    const info = await inspectImage(docker, tag);
    expect(info?.RepoDigests).toContain(`${registry.host}/hubify-test/action@${values.digest}`);
    const head = await fetch(`http://${registry.host}/v2/hubify-test/action/manifests/latest`, {
      method: 'HEAD',
      headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json' },
    });
    expect(head.headers.get('docker-content-digest')).toBe(values.digest);

    expect(summary).toContain(`## hubify: ${tag}`);
    expect(summary).toContain('### hubify test: passed');
    expect(summary).toContain('| Check | Result | Time | Detail |');
    for (const check of ['endpoint-security', 'activity', 'app:notebook', 'stop'])
      expect(summary).toMatch(new RegExp(`^\\| ${check} \\| ✅ pass \\| \\d+\\.\\d s \\| `, 'm'));
    expect(summary).toContain(`| Digest | \`${values.digest}\` (pushed) |`);
  });

  it('fails the step with an ::error:: line and no outputs for a bad input', async () => {
    const { result, outputs } = await runAction({
      image: BASE,
      tag: 'hubify-test/action-bad:latest',
      platforms: 'linux/amd64, linux/arm64',
    });
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(
      /^::error title=hubify%3A bad input::input "platforms": hubify builds one platform/m,
    );
    expect(outputs).toBe('');
  });
});
