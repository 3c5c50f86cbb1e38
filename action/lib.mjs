// The GitHub Action's logic that does not touch the machine: reading the inputs the way the runner
// passes them, the commands to run, the output-file and step-summary text. Plain JavaScript (no build
// step: the runner runs action/main.mjs straight from a checkout of this repository).
import { randomBytes } from 'node:crypto';

/** Platforms `hubify build --platform` accepts. */
export const PLATFORMS = ['linux/amd64', 'linux/arm64'];

export class InputError extends Error {
  name = 'InputError';
}

/**
 * An input as the runner passes it: env `INPUT_<NAME>`, NAME upper-cased with spaces turned into `_`
 * (hyphens stay, so `hub-image` is `INPUT_HUB-IMAGE`), surrounding whitespace trimmed. '' when unset.
 * @param {Record<string, string | undefined>} env
 * @param {string} name
 */
export function getInput(env, name) {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/**
 * A boolean input: the YAML 1.2 core schema words the toolkit accepts (true/True/TRUE, false/...).
 * @param {Record<string, string | undefined>} env
 * @param {string} name
 * @param {boolean} fallback used when the input is empty
 */
export function getBooleanInput(env, name, fallback) {
  const value = getInput(env, name);
  if (value === '') return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  throw new InputError(`input "${name}" must be true or false, got "${value}"`);
}

/**
 * `platforms`: one platform (comma, space or newline separated lists are read, duplicates dropped).
 * hubify builds one platform per image; several need one job each (a matrix).
 * @param {string} text
 * @returns {string | null} the platform, or null for "the image's own"
 */
export function parsePlatforms(text) {
  const list = [...new Set(text.split(/[\s,]+/).filter((item) => item !== ''))];
  for (const platform of list)
    if (!PLATFORMS.includes(platform))
      throw new InputError(`input "platforms": ${platform} is not supported; use ${PLATFORMS.join(' or ')}`);
  if (list.length > 1)
    throw new InputError(
      `input "platforms": hubify builds one platform per image, got ${list.join(', ')}; run one job per platform (strategy.matrix)`,
    );
  return list[0] ?? null;
}

/**
 * The inputs of action.yml, checked.
 * @param {Record<string, string | undefined>} env
 */
export function readInputs(env) {
  const image = getInput(env, 'image');
  const tag = getInput(env, 'tag');
  if (image === '') throw new InputError('input "image" is required: the image to make hub-ready');
  if (tag === '')
    throw new InputError('input "tag" is required: the name of the result, e.g. myorg/rstudio-hub:1');
  return {
    image,
    tag,
    push: getBooleanInput(env, 'push', false),
    platform: parsePlatforms(getInput(env, 'platforms')),
    test: getBooleanInput(env, 'test', true),
    hubImage: getInput(env, 'hub-image'),
  };
}

/**
 * The `hubify build` arguments.
 * @param {{ image: string, tag: string, platform: string | null }} inputs
 * @param {boolean} push
 */
export function buildArgs(inputs, push) {
  return [
    'build',
    inputs.image,
    '--tag',
    inputs.tag,
    ...(inputs.platform === null ? [] : ['--platform', inputs.platform]),
    ...(push ? ['--push'] : []),
    '--json',
  ];
}

/**
 * The `hubify test` arguments.
 * @param {{ tag: string, hubImage: string }} inputs
 */
export function testArgs(inputs) {
  return ['test', inputs.tag, ...(inputs.hubImage === '' ? [] : ['--hub-image', inputs.hubImage]), '--json'];
}

/**
 * What to run so the CLI exists: nothing when dist/hubify.mjs is there, else install and build.
 * @param {boolean} cliExists
 * @param {boolean} lockfileExists
 * @returns {string[][]} npm argument lists, in order
 */
export function bootstrapCommands(cliExists, lockfileExists) {
  if (cliExists) return [];
  return [
    [lockfileExists ? 'ci' : 'install', '--no-audit', '--no-fund', '--loglevel=error'],
    ['run', '--silent', 'build'],
  ];
}

/**
 * `name<<DELIM ... DELIM` for $GITHUB_OUTPUT: safe for any value, multi-line included.
 * @param {string} name
 * @param {string} value
 * @param {() => string} [delimiter]
 */
export function outputEntry(
  name,
  value,
  delimiter = () => `ghadelimiter_${randomBytes(16).toString('hex')}`,
) {
  let delim = delimiter();
  while (value.includes(delim)) delim = delimiter();
  return `${name}<<${delim}\n${value}\n${delim}\n`;
}

/**
 * A workflow command's message: %, CR and LF escaped as the runner expects.
 * @param {string} text
 */
export function escapeCommandData(text) {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/**
 * `::error title=...::message`.
 * @param {string} title
 * @param {string} message
 */
export function errorCommand(title, message) {
  const safeTitle = escapeCommandData(title).replace(/:/g, '%3A').replace(/,/g, '%2C');
  return `::error title=${safeTitle}::${escapeCommandData(message)}`;
}

/** @param {string} text */
function cell(text) {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** @param {number} ms */
function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

const STATUS = { pass: '✅ pass', fail: '❌ fail', skip: '⏭️ skip' };

/**
 * The `hubify test` table in Markdown.
 * @param {{ hubImage?: string, hubVersion?: string, checks: { name: string, status: 'pass'|'fail'|'skip', ms: number, detail: string }[], passed: boolean, totalMs?: number }} report
 */
export function testTable(report) {
  const counts = { pass: 0, fail: 0, skip: 0 };
  for (const check of report.checks) counts[check.status] += 1;
  return [
    `### hubify test: ${report.passed ? 'passed' : 'FAILED'}`,
    '',
    `JupyterHub ${report.hubVersion ?? '?'} (${report.hubImage ?? 'hub image'}): ${counts.pass} passed, ${counts.fail} failed, ${counts.skip} skipped` +
      (report.totalMs === undefined ? '' : ` in ${seconds(report.totalMs)}`),
    '',
    '| Check | Result | Time | Detail |',
    '| --- | --- | --- | --- |',
    ...report.checks.map(
      (check) =>
        `| ${cell(check.name)} | ${STATUS[check.status]} | ${seconds(check.ms)} | ${cell(check.detail)} |`,
    ),
    '',
  ].join('\n');
}

/**
 * The step summary: what was built, then the test table (when the test ran).
 * @param {{ tag: string, image: string, digest: string, base: string, platform: string, apps: string[], pushed: boolean }} built
 * @param {Parameters<typeof testTable>[0] | null} report
 */
export function stepSummary(built, report) {
  const lines = [
    `## hubify: ${cell(built.tag)}`,
    '',
    '| | |',
    '| --- | --- |',
    `| Image | \`${cell(built.image)}\` |`,
    `| Digest | \`${cell(built.digest)}\`${built.pushed ? ' (pushed)' : ' (image id, not pushed)'} |`,
    `| Made from | \`${cell(built.base)}\` |`,
    `| Platform | ${cell(built.platform)} |`,
    `| Apps | ${built.apps.length === 0 ? 'none' : built.apps.map(cell).join(', ')} |`,
    '',
  ];
  if (report !== null) lines.push(testTable(report));
  return `${lines.join('\n')}\n`;
}

/**
 * The repository of an image reference: without its tag or digest (`127.0.0.1:5000/a/b:1` ->
 * `127.0.0.1:5000/a/b`; a registry port is not a tag).
 * @param {string} reference
 */
export function repositoryOf(reference) {
  const withoutDigest = reference.split('@')[0] ?? reference;
  const colon = withoutDigest.lastIndexOf(':');
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

/**
 * The registry digest of `reference` among an image's RepoDigests (`repo@sha256:...`), or null.
 * @param {string[]} repoDigests
 * @param {string} reference
 */
export function pushedDigest(repoDigests, reference) {
  const repository = repositoryOf(reference);
  const found = repoDigests.find((entry) => entry.startsWith(`${repository}@`));
  return found === undefined ? null : found.slice(repository.length + 1);
}
