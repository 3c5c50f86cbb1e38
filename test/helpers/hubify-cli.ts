// Running the real CLI (dist/hubify.mjs, made by `npm run build`) as a child process, and its
// `hubify test --json` report: for the integration tests of the integrations (runtime image,
// repo2docker appendix, GitHub Action, profile list).
import { spawn } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { TestReport as HubTestReport } from '../../cli/hubtest/report.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(REPO_ROOT, 'dist', 'hubify.mjs');
/** Debian's JupyterHub 3.0 as a hub image (test/images/jupyterhub), standing in for the official one. */
export const HUB_IMAGE = 'hubify-fixture/jupyterhub:latest';
/** One `hubify test` run: a hub start, one server, every app; generous for the 2-core machines. */
export const HUBIFY_TEST_TIMEOUT_MS = 5 * 60_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `node <program> ...args` (the CLI by default) and collects its output; killed after `timeoutMs`. */
export function runNode(
  args: readonly string[],
  options: { program?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [options.program ?? CLI, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: options.timeoutMs ?? HUBIFY_TEST_TIMEOUT_MS,
      killSignal: 'SIGTERM',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolvePromise({ code, stdout, stderr, ms: Date.now() - started }));
  });
}

export function describeRun(args: readonly string[], result: CliResult): string {
  return `hubify ${args.join(' ')} (exit ${result.code}, ${result.ms} ms)\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
}

/** The `hubify test --json` report: cli/hubtest/report.ts's `TestReport` plus `passed` (its `formatJson`). */
export type TestReport = HubTestReport & { passed: boolean };

/**
 * Runs `hubify test IMAGE --hub-image HUB --json [...more]` and expects it to pass: exit 0, every
 * check passed, and exactly `apps` as the app checks.
 */
export async function expectHubifyTestPasses(
  image: string,
  apps: readonly string[],
  more: readonly string[] = [],
): Promise<TestReport> {
  const args = ['test', image, '--hub-image', HUB_IMAGE, '--json', ...more];
  const result = await runNode(args);
  const context = describeRun(args, result);
  let report: TestReport;
  try {
    report = JSON.parse(result.stdout) as TestReport;
  } catch (error) {
    throw new Error(`stdout is not the JSON report: ${String(error)}\n${context}`, { cause: error });
  }
  const summary = report.checks.map((check) => `${check.status} ${check.name}: ${check.detail}`).join('\n');
  expect(result.code, `${context}\n${summary}`).toBe(0);
  expect(report.passed, summary).toBe(true);
  expect(report.image).toBe(image);
  for (const check of report.checks) expect(check.status, `${check.name}: ${check.detail}`).toBe('pass');
  const names = report.checks.map((check) => check.name);
  expect(names).toEqual(expect.arrayContaining(['endpoint-security', 'activity', 'stop']));
  expect(names.filter((name) => name.startsWith('app:')).sort()).toEqual(
    apps.map((app) => `app:${app}`).sort(),
  );
  return report;
}
