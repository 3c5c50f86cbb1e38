// The hubify GitHub Action (action.yml, `runs.using: node24`, `main: action/main.mjs`). The runner runs
// this file from a checkout of this repository, with the inputs as INPUT_* variables. It:
//
//   1. makes the CLI available: dist/hubify.mjs of this checkout, or `npm ci` + `npm run build` here
//      on first use (in a log group, with the reason);
//   2. runs `hubify build IMAGE --tag TAG [--platform P] --json` (progress goes to the log);
//   3. with `test: true`, runs `hubify test TAG --json` against a real JupyterHub and writes its table
//      to the step summary; a failed check fails the step;
//   4. with `push: true`, pushes only after the test passed, the very image tested (`docker push`; with
//      `test: false`, `hubify build --push` pushes at once);
//   5. writes the outputs `image` and `digest` to $GITHUB_OUTPUT and the summary to
//      $GITHUB_STEP_SUMMARY.
//
// Errors are `::error::` lines and exit code 1. Logic without side effects is in lib.mjs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  bootstrapCommands,
  buildArgs,
  errorCommand,
  InputError,
  outputEntry,
  pushedDigest,
  readInputs,
  stepSummary,
  testArgs,
} from './lib.mjs';

const ACTION_ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const CLI = join(ACTION_ROOT, 'dist', 'hubify.mjs');

class StepFailed extends Error {
  name = 'StepFailed';
  /** @param {string} title @param {string} message */
  constructor(title, message) {
    super(message);
    this.title = title;
  }
}

/** @param {string} text */
function log(text) {
  process.stdout.write(`${text}\n`);
}

/**
 * Runs a program; stderr goes to the log as it comes, stdout is collected (or shown, with `show`).
 * @param {string} command @param {string[]} args @param {{ cwd?: string, show?: boolean }} [options]
 * @returns {Promise<{ code: number | null, stdout: string }>}
 */
function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ACTION_ROOT,
      stdio: ['ignore', options.show ? 'inherit' : 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

async function ensureCli() {
  const commands = bootstrapCommands(existsSync(CLI), existsSync(join(ACTION_ROOT, 'package-lock.json')));
  if (commands.length === 0) {
    log(`hubify CLI: ${CLI}`);
    return;
  }
  log(`::group::Setting up the hubify CLI (${CLI} is missing: installing and building it in ${ACTION_ROOT})`);
  try {
    for (const args of commands) {
      log(`npm ${args.join(' ')}`);
      const result = await run('npm', args, { show: true }).catch((error) => {
        throw new StepFailed('hubify setup failed', `cannot run npm: ${error.message}`);
      });
      if (result.code !== 0)
        throw new StepFailed(
          'hubify setup failed',
          `npm ${args.join(' ')} exited with ${result.code} in ${ACTION_ROOT}; see the log above. The runner needs the npm registry.`,
        );
    }
  } finally {
    log('::endgroup::');
  }
  if (!existsSync(CLI)) throw new StepFailed('hubify setup failed', `npm run build did not make ${CLI}`);
}

/**
 * Runs the CLI with --json and parses its stdout.
 * @param {string[]} args @param {string} what
 */
async function hubify(args, what) {
  log(`hubify ${args.join(' ')}`);
  const result = await run(process.execPath, [CLI, ...args]);
  let parsed;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    throw new StepFailed(
      `hubify ${what} failed`,
      `hubify ${what} exited with ${result.code} without a JSON result; its messages are in the log above.`,
    );
  }
  return { code: result.code, json: parsed };
}

/** @param {{ code: number | null, json: any }} result @param {string} what */
function requireOk(result, what) {
  if (result.code === 0 && result.json.ok === true) return result.json;
  const { message, code, hint } = result.json;
  throw new StepFailed(
    `hubify ${what} failed`,
    `${message ?? `exit ${result.code}`}${code ? ` [${code}]` : ''}${hint ? `\n${hint}` : ''}`,
  );
}

/** @param {string} name @param {string} value */
async function setOutput(name, value) {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    log(`::notice::GITHUB_OUTPUT is not set; output ${name}=${value}`);
    return;
  }
  await appendFile(file, outputEntry(name, value));
}

/** @param {string} markdown */
async function writeSummary(markdown) {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (file) await appendFile(file, markdown);
}

/**
 * Pushes the image just tested, as it is (`docker push`, with the runner's `docker login`), and
 * returns the registry's digest the engine recorded for it.
 * @param {string} tag
 */
async function pushTested(tag) {
  log(`docker push ${tag}`);
  const pushed = await run('docker', ['push', tag], { show: true }).catch((error) => {
    throw new StepFailed(
      'hubify push failed',
      `cannot run docker: ${error.message}. The runner needs the docker CLI.`,
    );
  });
  if (pushed.code !== 0)
    throw new StepFailed(
      'hubify push failed',
      `docker push ${tag} exited with ${pushed.code}; see the log above. Log in first (docker/login-action) and check that you may write to the repository.`,
    );
  const inspected = await run('docker', ['image', 'inspect', '--format', '{{json .RepoDigests}}', tag]);
  const digest = inspected.code === 0 ? pushedDigest(JSON.parse(inspected.stdout), tag) : null;
  if (digest === null)
    throw new StepFailed(
      'hubify push failed',
      `the engine recorded no registry digest for ${tag} after the push.`,
    );
  return digest;
}

async function main() {
  const inputs = readInputs(process.env);
  await ensureCli();

  const wantsEarlyPush = inputs.push && !inputs.test;
  const built = requireOk(await hubify(buildArgs(inputs, wantsEarlyPush), 'build'), 'build');
  const summary = {
    tag: inputs.tag,
    image: built.image.reference,
    digest: built.image.pushedDigest ?? built.image.id,
    base: built.base.reference,
    platform: built.platform,
    apps: built.apps,
    pushed: built.image.pushedDigest !== null,
  };

  let report = null;
  if (inputs.test) {
    const tested = await hubify(testArgs(inputs), 'test');
    report = tested.json;
    if (!Array.isArray(report.checks)) {
      requireOk(tested, 'test');
      throw new StepFailed('hubify test failed', `hubify test exited with ${tested.code} without a report`);
    }
    if (!(tested.code === 0 && report.passed === true)) {
      await writeSummary(stepSummary(summary, report));
      const failed = report.checks.filter((check) => check.status === 'fail').map((check) => check.name);
      throw new StepFailed(
        'hubify test failed',
        `${inputs.tag} is not hub-ready: ${failed.length === 0 ? `exit ${tested.code}` : `failed ${failed.join(', ')}`}. The table is in the step summary.`,
      );
    }
    if (inputs.push) {
      summary.digest = await pushTested(inputs.tag);
      summary.pushed = true;
    }
  }

  await setOutput('image', summary.image);
  await setOutput('digest', summary.digest);
  await writeSummary(stepSummary(summary, report));
  log(`hubify: ${summary.image} ${summary.digest}${summary.pushed ? ' (pushed)' : ''}`);
}

try {
  await main();
} catch (error) {
  if (error instanceof StepFailed) log(errorCommand(error.title, error.message));
  else if (error instanceof InputError) log(errorCommand('hubify: bad input', error.message));
  else
    log(
      errorCommand(
        'hubify action: internal error',
        error instanceof Error ? (error.stack ?? error.message) : String(error),
      ),
    );
  process.exitCode = 1;
}
