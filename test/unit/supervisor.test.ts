// Starting apps: readiness over TCP and unix sockets, external apps, shared starts, start failures,
// placeholders and output. Real child processes (test/fixtures/apps/supervisor), loopback only.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, realpath, rm, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import { createLogger } from '../../proxy/log.ts';
import { AppStartError, Supervisor, type SupervisedApp } from '../../proxy/supervisor/index.ts';
import {
  appSpec,
  httpGet,
  isGone,
  nodeScript,
  stopSupervisors,
  supervise,
} from '../fixtures/apps/supervisor/harness.ts';
import { getFreePort } from '../helpers/free-port.ts';
import { WAIT_SHORT, waitFor } from '../helpers/waits.ts';

afterEach(stopSupervisors);

function only(supervisor: Supervisor, name: string): SupervisedApp {
  const app = supervisor.get(name);
  if (app === undefined) throw new Error(`no app ${name}`);
  return app;
}

async function startError(promise: Promise<unknown>): Promise<AppStartError> {
  const error = await promise.then(
    () => null,
    (reason: unknown) => reason,
  );
  if (!(error instanceof AppStartError)) throw new Error(`expected an AppStartError, got ${String(error)}`);
  return error;
}

describe('Supervisor: starting apps', () => {
  it('starts an app on a free port and resolves once it answers', async () => {
    const spec = appSpec('slow', {
      command: nodeScript('http-app.js', '--port', '{port}', '--ready-after', '300'),
    });
    const { supervisor } = supervise([spec]);
    const app = only(supervisor, 'slow');
    expect(app.status().state).toBe('stopped');

    const started = Date.now();
    const target = await app.ensureRunning();
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(target).toMatchObject({ kind: 'tcp', host: '127.0.0.1' });
    expect(await httpGet(target, '/')).toEqual({ status: 200, body: 'ok' });
    const status = app.status();
    expect(status).toMatchObject({ name: 'slow', state: 'running', target, error: null, restarts: 0 });
    expect(status.pid).toBeGreaterThan(0);
    expect(status.readyAt?.getTime()).toBeGreaterThanOrEqual(status.startedAt?.getTime() ?? Infinity);
    // A running app answers at once, with the same target.
    expect(await app.ensureRunning()).toEqual(target);
  });

  it('starts a unix-socket app in a private socket directory, replacing a stale socket', async () => {
    const socketDir = await mkdtemp(join(tmpdir(), 'hubify-test-'));
    try {
      const stale = join(socketDir, 'sock.sock');
      try {
        // A process killed while listening leaves its socket file behind.
        execFileSync(process.execPath, [
          '-e',
          `require('net').createServer().listen(${JSON.stringify(stale)}, () => process.kill(process.pid, 'SIGKILL'))`,
        ]);
      } catch {
        // execFileSync throws because the child died by SIGKILL, as intended.
      }
      expect((await lstat(stale)).isSocket()).toBe(true);
      const spec = appSpec('sock', {
        command: nodeScript('http-app.js', '--socket', '{unix_socket}'),
        listen: { kind: 'unix-socket', path: null },
      });
      const { supervisor } = supervise([spec], { socketDir });
      const target = await only(supervisor, 'sock').ensureRunning();
      expect(target).toEqual({ kind: 'unix', path: stale });
      expect(await httpGet(target, '/')).toEqual({ status: 200, body: 'ok' });
      await supervisor.stopAll();
      expect(existsSync(socketDir)).toBe(true); // a directory we were given is not ours to remove
    } finally {
      await rm(socketDir, { recursive: true, force: true });
    }
  });

  it('creates its own 0700 socket directory when none is given and removes it in stopAll', async () => {
    const spec = appSpec('sock', {
      command: nodeScript('http-app.js', '--socket', '{unix_socket}'),
      listen: { kind: 'unix-socket', path: null },
    });
    const { supervisor } = supervise([spec]);
    const target = await only(supervisor, 'sock').ensureRunning();
    if (target.kind !== 'unix') throw new Error('expected a unix target');
    const dir = join(target.path, '..');
    expect(await realpath(dir)).toContain(await realpath(tmpdir()));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(await httpGet(target, '/')).toEqual({ status: 200, body: 'ok' });
    await supervisor.stopAll();
    expect(existsSync(dir)).toBe(false);
  });

  it('only checks readiness of an external app (no command) and never spawns it', async () => {
    const port = await getFreePort();
    const server: Server = createServer((_req, res) => res.end('external'));
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      const { supervisor, logger } = supervise([appSpec('ext', { listen: { kind: 'port', port } })]);
      const app = only(supervisor, 'ext');
      expect(await app.ensureRunning()).toEqual({ kind: 'tcp', host: '127.0.0.1', port });
      expect(app.status()).toMatchObject({ state: 'running', pid: null });
      expect(logger.events.filter((e) => e.event === 'app spawn')).toEqual([]);
      await app.stop();
      expect(app.status().state).toBe('stopped');
    } finally {
      server.close();
    }
  });

  it('fails an external app that does not answer, naming where it looked', async () => {
    const port = await getFreePort();
    const spec = appSpec('ext', {
      listen: { kind: 'port', port },
      readiness: { path: '/', status: [], timeoutSeconds: 0.3 },
    });
    const { supervisor } = supervise([spec]);
    const error = await startError(only(supervisor, 'ext').ensureRunning());
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe(
      `ext did not answer GET / on 127.0.0.1:${port} within 0.3 s (last try: ECONNREFUSED)`,
    );
  });

  it('shares one start between concurrent callers', async () => {
    const spec = appSpec('shared', {
      command: nodeScript('http-app.js', '--port', '{port}', '--ready-after', '200'),
    });
    const { supervisor, logger } = supervise([spec]);
    const app = only(supervisor, 'shared');
    const targets = await Promise.all([app.ensureRunning(), app.ensureRunning(), app.ensureRunning()]);
    expect(targets[1]).toEqual(targets[0]);
    expect(targets[2]).toEqual(targets[0]);
    expect(logger.events.filter((e) => e.event === 'app spawn')).toHaveLength(1);
  });

  it('fails with reason timeout when the app never gets ready, and kills it', async () => {
    const spec = appSpec('stuck', {
      command: nodeScript('never-listen.js'),
      readiness: { path: '/health', status: [], timeoutSeconds: 1 },
    });
    const { supervisor } = supervise([spec]);
    const app = only(supervisor, 'stuck');
    const started = Date.now();
    const pending = app.ensureRunning();
    const pid = await waitFor(() => app.status().pid, { timeoutMs: WAIT_SHORT, what: 'stuck to spawn' });
    const error = await startError(pending);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(error.reason).toBe('timeout');
    expect(error.message).toBe('stuck did not answer GET /health within 1 s (last try: ECONNREFUSED)');
    expect(error.logTail).toContain('starting, but never listening');
    expect(isGone(pid)).toBe(true);
    expect(app.status()).toMatchObject({ state: 'failed', error: error.message, pid: null, target: null });
  });

  it('fails at once with reason exited when the app exits before it is ready', async () => {
    const spec = appSpec('early', {
      command: nodeScript('exit-early.js', '3'),
      readiness: { path: '/', status: [], timeoutSeconds: 10 },
    });
    const { supervisor } = supervise([spec]);
    const app = only(supervisor, 'early');
    const started = Date.now();
    const error = await startError(app.ensureRunning());
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error).toMatchObject({
      app: 'early',
      reason: 'exited',
      message: 'early exited with code 3 before it was ready',
    });
    expect(error.logTail).toEqual(['boom: cannot read config']);
    expect(app.status()).toMatchObject({
      state: 'failed',
      error: error.message,
      lastExit: { code: 3, signal: null },
    });
  });

  it('fails with reason spawn when the command or the working directory does not exist', async () => {
    const { supervisor } = supervise([
      appSpec('missing', { command: ['/nonexistent/bin/app', '--port', '{port}'] }),
      appSpec('nowhere', { command: nodeScript('http-app.js'), cwd: '/nonexistent/{user}' }),
    ]);
    const missing = await startError(only(supervisor, 'missing').ensureRunning());
    expect(missing.reason).toBe('spawn');
    expect(missing.message).toMatch(/^could not start missing: spawn \/nonexistent\/bin\/app ENOENT$/);
    const nowhere = await startError(only(supervisor, 'nowhere').ensureRunning());
    expect(nowhere.message).toBe(
      'could not start nowhere: working directory /nonexistent/alice does not exist',
    );
  });

  it('accepts a redirect as ready without a status list, and only listed statuses with one', async () => {
    const { supervisor } = supervise([
      appSpec('redirects', {
        command: nodeScript('http-app.js', '--port', '{port}'),
        readiness: { path: '/redirect', status: [], timeoutSeconds: 5 },
      }),
      appSpec('picky', {
        command: nodeScript('http-app.js', '--port', '{port}'),
        readiness: { path: '/', status: [204], timeoutSeconds: 0.5 },
      }),
    ]);
    await only(supervisor, 'redirects').ensureRunning();
    const error = await startError(only(supervisor, 'picky').ensureRunning());
    expect(error.message).toBe(
      'picky did not answer GET / with status 204 within 0.5 s (last try: status 200)',
    );
  });

  it('expands placeholders in argv, environment and cwd, and leaves unknown ones alone', async () => {
    const home = await mkdtemp(join(tmpdir(), 'hubify-home-'));
    await mkdir(join(home, 'work'));
    try {
      const spec = appSpec('echo', {
        command: nodeScript('http-app.js', '--port', '{port}', '--lines', '0', '{user}@{base_url}{unknown}'),
        environment: { APP_URL: '{app_url}', WHO: '{user}', HOME_DIR: '{home}', KEEP: '{unknown} {port' },
        cwd: '{home}/work',
      });
      const { supervisor } = supervise([spec], {
        placeholders: (app, listen) => ({
          port: String(listen.port),
          unix_socket: '',
          base_url: '/user/alice/',
          app_url: `/user/alice/${app.name}/`,
          user: 'alice',
          home,
        }),
      });
      const target = await only(supervisor, 'echo').ensureRunning();
      if (target.kind !== 'tcp') throw new Error('expected a tcp target');
      const info = JSON.parse((await httpGet(target, '/info')).body) as {
        argv: string[];
        env: Record<string, string>;
        cwd: string;
      };
      expect(info.argv).toEqual([
        '--port',
        String(target.port),
        '--lines',
        '0',
        'alice@/user/alice/{unknown}',
      ]);
      expect(info.env).toMatchObject({
        APP_URL: '/user/alice/echo/',
        WHO: 'alice',
        HOME_DIR: home,
        KEEP: '{unknown} {port',
        PATH: process.env.PATH,
      });
      expect(info.cwd).toBe(await realpath(join(home, 'work')));
    } finally {
      await stopSupervisors();
      await rm(home, { recursive: true, force: true });
    }
  });

  it('passes every output line to logger.appLine and keeps a bounded tail', async () => {
    const spec = appSpec('chatty', {
      command: nodeScript('http-app.js', '--port', '{port}', '--lines', '2000'),
    });
    const { supervisor, logger } = supervise([spec]);
    const app = only(supervisor, 'chatty');
    await app.ensureRunning();
    await waitFor(() => logger.lines.some((l) => l.line.startsWith('listening on')), {
      timeoutMs: WAIT_SHORT,
      what: 'the listening line',
    });
    expect(logger.lines[0]).toEqual({
      app: 'chatty',
      stream: 'stderr',
      line: expect.stringMatching(/^http-app starting/) as string,
    });
    expect(logger.lines.filter((l) => l.stream === 'stdout' && l.line.startsWith('line '))).toHaveLength(
      2000,
    );
    expect(logger.lines.every((l) => l.app === 'chatty')).toBe(true);
    const tail = app.logTail();
    expect(tail).toHaveLength(500);
    expect(tail.at(-2)).toBe('line 1999');
    expect(tail.at(-1)).toMatch(/^listening on \d+$/);
    expect(app.logTail(3)).toEqual(tail.slice(-3));
    expect(
      logger.events.filter((e) => e.event === 'app state').map((e) => [e.fields.name, e.fields.state]),
    ).toEqual([
      ['chatty', 'starting'],
      ['chatty', 'starting'],
      ['chatty', 'running'],
    ]);
  });

  it('writes app lines through the real logger with the app name as prefix', async () => {
    const written: string[] = [];
    const spec = appSpec('named', { command: nodeScript('http-app.js', '--port', '{port}') });
    const supervisor = new Supervisor({
      apps: [spec],
      placeholders: (_app, listen) => ({
        port: String(listen.port),
        unix_socket: '',
        base_url: '/',
        app_url: '/named/',
        user: 'alice',
        home: '/nonexistent',
      }),
      baseEnv: { PATH: process.env.PATH },
      logger: createLogger('info', (line) => written.push(line)),
    });
    try {
      await only(supervisor, 'named').ensureRunning();
      await waitFor(() => written.some((line) => line.startsWith('[named] listening on')), {
        timeoutMs: WAIT_SHORT,
        what: 'the prefixed listening line',
      });
      expect(written).toContainEqual(expect.stringMatching(/^\[named\] ! http-app starting pid=\d+\n$/));
      expect(written).toContainEqual(
        expect.stringMatching(/ info {2}hubify app state name=named state=running pid=\d+/),
      );
    } finally {
      await supervisor.stopAll(200);
    }
  });
});
