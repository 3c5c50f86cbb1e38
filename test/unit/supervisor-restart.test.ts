// Crashes, restarts and stopping: backoff, the restart budget, clean exits, restart(), and stopAll
// reaching grandchildren that ignore SIGTERM. Real child processes, loopback only.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterEach, describe, expect, it } from 'vitest';

import type { RestartSpec } from '../../proxy/app-spec.ts';
import {
  AppStartError,
  type AppStatus,
  type SupervisedApp,
  type Supervisor,
} from '../../proxy/supervisor/index.ts';
import {
  appSpec,
  isGone,
  isRunning,
  nodeScript,
  stopSupervisors,
  supervise,
} from '../fixtures/apps/supervisor/harness.ts';
import { WAIT_MEDIUM, WAIT_SHORT, waitFor } from '../helpers/waits.ts';

afterEach(stopSupervisors);

function only(supervisor: Supervisor, name: string): SupervisedApp {
  const app = supervisor.get(name);
  if (app === undefined) throw new Error(`no app ${name}`);
  return app;
}

function restartSpec(overrides: Partial<RestartSpec>): RestartSpec {
  return {
    policy: 'on-failure',
    maxRestarts: 3,
    windowSeconds: 60,
    backoffSeconds: 0.1,
    maxBackoffSeconds: 1,
    ...overrides,
  };
}

/** An app that gets ready, then exits with `code` after `afterMs`. */
function crashingApp(name: string, code: number, afterMs: number, restart: Partial<RestartSpec>) {
  return appSpec(name, {
    command: nodeScript(
      'http-app.js',
      '--port',
      '{port}',
      '--exit-after',
      String(afterMs),
      '--exit-code',
      String(code),
    ),
    restart: restartSpec(restart),
  });
}

function record(app: SupervisedApp): AppStatus[] {
  const seen: AppStatus[] = [];
  app.on('state', (status) => seen.push(status));
  return seen;
}

describe('Supervisor: crashes and restarts', () => {
  it('restarts a crashed app with a doubling backoff and counts the restarts', async () => {
    const spec = crashingApp('crashy', 3, 100, {
      maxRestarts: 10,
      backoffSeconds: 0.1,
      maxBackoffSeconds: 0.3,
    });
    const { supervisor, logger } = supervise([spec]);
    const app = only(supervisor, 'crashy');
    const backoffs: number[] = [];
    app.on('state', (status) => {
      if (status.nextRestartAt !== null) backoffs.push(status.nextRestartAt.getTime() - Date.now());
    });
    await app.ensureRunning();
    await waitFor(() => app.status().restarts >= 3 && app.status().state === 'running', {
      timeoutMs: WAIT_MEDIUM,
      what: 'the third restart',
    });
    await app.stop();
    expect(backoffs.slice(0, 3).map((ms) => Math.round(ms / 50) * 50)).toEqual([100, 200, 300]);
    expect(app.status().restarts).toBeGreaterThanOrEqual(3);
    const crashes = logger.events.filter((e) => e.event === 'app crashed');
    expect(crashes.slice(0, 3).map((e) => [e.fields.code, e.fields.restarts])).toEqual([
      [3, 1],
      [3, 2],
      [3, 3],
    ]);
  });

  it('gives up after maxRestarts within the window and keeps the log tail', async () => {
    const spec = crashingApp('loop', 3, 50, { maxRestarts: 2, backoffSeconds: 0.05 });
    const { supervisor, logger } = supervise([spec]);
    const app = only(supervisor, 'loop');
    const states = record(app);
    await app.ensureRunning();
    await waitFor(() => app.status().state === 'failed', { timeoutMs: WAIT_MEDIUM, what: 'loop to fail' });
    const status = app.status();
    expect(status).toMatchObject({
      state: 'failed',
      restarts: 2,
      pid: null,
      target: null,
      nextRestartAt: null,
      error: 'loop exited with code 3 after 2 restarts within 60 s; not restarting it again',
      lastExit: { code: 3, signal: null },
    });
    expect(app.logTail()).toContain('exiting with code 3');
    expect(states.map((s) => s.state)).toEqual([
      ...['starting', 'starting', 'running'],
      ...['starting', 'starting', 'starting', 'running'],
      ...['starting', 'starting', 'starting', 'running'],
      'failed',
    ]);
    expect(logger.events).toContainEqual({
      level: 'warn',
      event: 'app state',
      fields: expect.objectContaining({ name: 'loop', state: 'failed', error: status.error }) as object,
    });
    // A request after the failure tries again, but the budget of the window is spent.
    await app.ensureRunning();
    await waitFor(() => app.status().state === 'failed', {
      timeoutMs: WAIT_SHORT,
      what: 'loop to fail again',
    });
    expect(app.status().restarts).toBe(2);
  });

  it('marks a clean exit as stopped and starts the app again on the next request', async () => {
    const spec = crashingApp('oneshot', 0, 50, { policy: 'on-failure' });
    const { supervisor } = supervise([spec]);
    const app = only(supervisor, 'oneshot');
    await app.ensureRunning();
    const firstPid = app.status().pid;
    await waitFor(() => app.status().state === 'stopped', { timeoutMs: WAIT_SHORT, what: 'the clean exit' });
    expect(app.status()).toMatchObject({ error: null, restarts: 0, pid: null, lastExit: { code: 0 } });
    await app.ensureRunning();
    expect(app.status().state).toBe('running');
    expect(app.status().pid).not.toBe(firstPid);
  });

  it('restarts after a clean exit with policy always, and never restarts with policy never', async () => {
    const { supervisor } = supervise([
      crashingApp('always', 0, 50, { policy: 'always', maxRestarts: 1, backoffSeconds: 0.05 }),
      crashingApp('never', 2, 50, { policy: 'never' }),
    ]);
    const always = only(supervisor, 'always');
    const never = only(supervisor, 'never');
    await Promise.all([always.ensureRunning(), never.ensureRunning()]);
    await waitFor(() => never.status().state === 'failed', { timeoutMs: WAIT_SHORT, what: 'never to fail' });
    expect(never.status()).toMatchObject({ restarts: 0, error: 'never exited with code 2' });
    await waitFor(() => always.status().state === 'failed', {
      timeoutMs: WAIT_SHORT,
      what: 'always to give up',
    });
    expect(always.status()).toMatchObject({
      restarts: 1,
      error: 'always exited with code 0 after 1 restart within 60 s; not restarting it again',
    });
  });

  it('joins a pending crash restart from ensureRunning and cancels it on stop', async () => {
    const spec = crashingApp('waits', 1, 50, { backoffSeconds: 0.3 });
    const { supervisor, logger } = supervise([spec]);
    const app = only(supervisor, 'waits');
    await app.ensureRunning();
    await waitFor(() => app.status().nextRestartAt !== null, { timeoutMs: WAIT_SHORT, what: 'the backoff' });
    // Joined: resolves after the backoff with the restarted app.
    const target = await app.ensureRunning();
    expect(app.status()).toMatchObject({ state: 'running', target, restarts: 1 });

    await waitFor(() => app.status().nextRestartAt !== null, {
      timeoutMs: WAIT_SHORT,
      what: 'the second backoff',
    });
    const joined = app.ensureRunning();
    const stopped = Date.now();
    await app.stop();
    expect(Date.now() - stopped).toBeLessThan(300);
    const error = await joined.then(
      () => null,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(AppStartError);
    expect(error).toMatchObject({ reason: 'stopped' });
    const spawns = logger.events.filter((e) => e.event === 'app spawn').length;
    await sleep(800);
    expect(logger.events.filter((e) => e.event === 'app spawn')).toHaveLength(spawns);
    expect(app.status()).toMatchObject({ state: 'stopped', nextRestartAt: null, pid: null });
  });

  it('restart() clears a failure and the restart counter', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hubify-flag-'));
    const flag = join(dir, 'ready');
    try {
      const spec = appSpec('fixable', {
        command: nodeScript('http-app.js', '--port', '{port}', '--require-file', flag),
      });
      const { supervisor } = supervise([spec]);
      const app = only(supervisor, 'fixable');
      await expect(app.ensureRunning()).rejects.toMatchObject({ reason: 'exited' });
      expect(app.status().state).toBe('failed');
      expect(app.status().error).toBe('fixable exited with code 1 before it was ready');

      await writeFile(flag, '');
      const target = await app.restart();
      expect(app.status()).toMatchObject({ state: 'running', target, error: null, restarts: 0 });
    } finally {
      await stopSupervisors();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops an app that is still starting; the pending start rejects with reason stopped', async () => {
    const spec = appSpec('halfway', {
      command: nodeScript('never-listen.js'),
      readiness: { path: '/', status: [], timeoutSeconds: 10 },
    });
    const { supervisor } = supervise([spec]);
    const app = only(supervisor, 'halfway');
    const pending = app.ensureRunning();
    const pid = await waitFor(() => app.status().pid, { timeoutMs: WAIT_SHORT, what: 'halfway to spawn' });
    await app.stop();
    await expect(pending).rejects.toMatchObject({
      reason: 'stopped',
      message: 'halfway was stopped before it was ready',
    });
    expect(isGone(pid)).toBe(true);
    expect(app.status().state).toBe('stopped');
  });

  it('starts eager apps only', async () => {
    const { supervisor } = supervise([
      appSpec('eager', { command: nodeScript('http-app.js', '--port', '{port}'), start: 'eager' }),
      appSpec('lazy', { command: nodeScript('http-app.js', '--port', '{port}') }),
    ]);
    supervisor.startEager();
    await waitFor(() => only(supervisor, 'eager').status().state === 'running', {
      timeoutMs: WAIT_SHORT,
      what: 'the eager app',
    });
    expect(only(supervisor, 'lazy').status().state).toBe('stopped');
  });

  it('stopAll ends every group within the grace, SIGTERM-ignoring grandchildren included', async () => {
    const grace = 800;
    const { supervisor, logger } = supervise(
      [
        appSpec('family', { command: nodeScript('http-app.js', '--port', '{port}', '--grandchild') }),
        appSpec('stubborn', { command: nodeScript('http-app.js', '--port', '{port}', '--ignore-term') }),
        appSpec('polite', { command: nodeScript('http-app.js', '--port', '{port}') }),
      ],
      { stopGraceMs: 10_000 },
    );
    const apps = supervisor.list();
    await Promise.all(apps.map((app) => app.ensureRunning()));
    const pids = apps.map((app) => app.status().pid ?? 0);
    const grandchild = await waitFor(
      () => {
        const line = only(supervisor, 'family')
          .logTail()
          .find((l) => l.startsWith('grandchild pid='));
        return line === undefined ? null : Number(line.slice('grandchild pid='.length));
      },
      { timeoutMs: WAIT_SHORT, what: 'the grandchild pid' },
    );
    expect(isRunning(grandchild)).toBe(true);

    const started = Date.now();
    await supervisor.stopAll(grace);
    const elapsed = Date.now() - started;
    // Two groups needed SIGKILL after the grace; in parallel that costs one grace, not two.
    expect(elapsed).toBeGreaterThanOrEqual(grace - 50);
    expect(elapsed).toBeLessThan(2 * grace);
    for (const pid of pids) expect(isGone(pid)).toBe(true);
    expect(isRunning(grandchild)).toBe(false);
    expect(apps.map((app) => app.status().state)).toEqual(['stopped', 'stopped', 'stopped']);
    expect(
      logger.events
        .filter((e) => e.event === 'app kill')
        .map((e) => e.fields.name)
        .sort(),
    ).toEqual(['family', 'stubborn']);
    // The orphaned grandchild is reaped by PID 1, which on some hosts only looks every few seconds.
    await waitFor(() => isGone(grandchild), { timeoutMs: WAIT_SHORT, what: 'PID 1 to reap the grandchild' });
  });
});
