/**
 * One app's life: start it, wait until it answers, restart it after a crash with backoff, stop it with
 * its whole process group. All transitions go through `setState`, which logs them and emits 'state'.
 *
 *   stopped/failed --ensureRunning--> starting --ready--> running --crash--> starting (after backoff)
 *                                        |                  |  \--clean exit (on-failure)--> stopped
 *                                        \--exit/timeout--> failed <--too many crashes--/
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { lstat, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { AppSpec, PlaceholderValues } from '../app-spec.ts';
import type { Logger } from '../log.ts';
import { AppStartError } from './app-start-error.ts';
import {
  describeTarget,
  listenValues,
  type AppExit,
  type AppState,
  type AppStatus,
  type AppTarget,
  type ListenValues,
} from './app-status.ts';
import { findFreePort } from './free-port.ts';
import { LogRing } from './log-ring.ts';
import { forEachLine } from './output-lines.ts';
import { expandPlaceholders } from './placeholders.ts';
import { signalGroup, waitForGroupExit } from './process-group.ts';
import { waitUntilReady } from './readiness.ts';

export interface SupervisedAppOptions {
  placeholders: (app: AppSpec, listen: ListenValues) => PlaceholderValues;
  baseEnv: NodeJS.ProcessEnv;
  logger: Logger;
  /** Where sockets of apps without a socket path go; created on first use. */
  socketDir: () => Promise<string>;
  stopGraceMs: number;
}

/** Lines of output an AppStartError carries: enough for a stack trace, short enough for a page. */
const ERROR_TAIL_LINES = 50;
/** After SIGKILL the kernel needs a moment; longer than this means a process stuck in the kernel. */
const KILL_WAIT_MS = 1_000;
/** Output written just before an exit can arrive after the exit event; wait this long for it. */
const OUTPUT_SETTLE_MS = 200;

interface SpawnedProcess {
  readonly pid: number;
  /** Settles once the process has exited and was reaped. */
  readonly exited: Promise<AppExit>;
  /** Settles when stdout and stderr closed; a grandchild holding them can delay it indefinitely. */
  readonly drained: Promise<void>;
  exit: AppExit | null;
  /** Set by the first SIGTERM, so parallel stop paths never send a second one (some apps treat it as "now"). */
  terminating: boolean;
}

type Events = { state: [status: AppStatus] };

export class SupervisedApp extends EventEmitter<Events> {
  readonly spec: AppSpec;
  private readonly options: SupervisedAppOptions;
  private readonly output = new LogRing();

  private state: AppState = 'stopped';
  private target: AppTarget | null = null;
  /** The last process spawned, kept after its exit until no member of its group is left. */
  private current: SpawnedProcess | null = null;
  /** Removal of the previous group's leftovers; the next spawn waits for it, they may hold the port. */
  private cleanup: Promise<void> = Promise.resolve();
  private restarts = 0;
  private recentRestarts: number[] = [];
  private startedAt: Date | null = null;
  private readyAt: Date | null = null;
  private lastExit: AppExit | null = null;
  private error: string | null = null;
  private nextRestartAt: Date | null = null;
  private starting: Promise<AppTarget> | null = null;
  private stopping: Promise<void> | null = null;
  /** Aborted by stop(): cancels the pending backoff, readiness wait and crash handling of this run. */
  private run = new AbortController();

  constructor(spec: AppSpec, options: SupervisedAppOptions) {
    super();
    this.spec = spec;
    this.options = options;
  }

  status(): AppStatus {
    return {
      name: this.spec.name,
      state: this.state,
      target: this.target,
      pid: this.current !== null && this.current.exit === null ? this.current.pid : null,
      restarts: this.restarts,
      startedAt: this.startedAt,
      readyAt: this.readyAt,
      lastExit: this.lastExit,
      error: this.error,
      nextRestartAt: this.nextRestartAt,
    };
  }

  /** The last lines of stdout and stderr, oldest first. */
  logTail(lines?: number): string[] {
    return this.output.tail(lines);
  }

  /**
   * Starts the app if it is not running and resolves once it is ready. Concurrent callers share one
   * start; a crashed app waiting out its backoff is joined, not started early.
   */
  ensureRunning(): Promise<AppTarget> {
    if (this.state === 'running' && this.target !== null && this.stopping === null) {
      return Promise.resolve(this.target);
    }
    return this.starting ?? this.beginStart(0, false);
  }

  /** Stop, forget earlier failures and restarts, start. */
  async restart(): Promise<AppTarget> {
    await this.stop();
    this.restarts = 0;
    this.recentRestarts = [];
    return this.ensureRunning();
  }

  /** SIGTERM to the process group, SIGKILL after `graceMs`; resolves once nothing of the app runs. */
  stop(graceMs: number = this.options.stopGraceMs): Promise<void> {
    // Also cancels a start that was queued behind a stop already under way: the last call wins.
    this.run.abort();
    this.run = new AbortController();
    if (this.stopping !== null) return this.stopping;
    const spawned = this.current;
    // terminate() signals before its first await, so Supervisor.stopAll reaches every group at once.
    const terminated = spawned === null ? Promise.resolve() : this.terminate(spawned, graceMs);
    const pendingStart = this.starting;
    const stopping = (async () => {
      await terminated;
      if (spawned !== null)
        await Promise.race([spawned.exited, sleep(KILL_WAIT_MS, undefined, { ref: false })]);
      await pendingStart?.catch(() => undefined);
      const changed = this.state !== 'stopped' || this.error !== null;
      this.target = null;
      this.error = null;
      this.nextRestartAt = null;
      if (changed) this.setState('stopped');
    })().finally(() => {
      this.stopping = null;
    });
    this.stopping = stopping;
    return stopping;
  }

  private beginStart(delayMs: number, automatic: boolean): Promise<AppTarget> {
    const started = this.startLoop(delayMs, automatic, this.run.signal).finally(() => {
      if (this.starting === started) this.starting = null;
    });
    this.starting = started;
    // The failure is also in status() and the log; a crash restart nobody awaits must not be unhandled.
    started.catch(() => undefined);
    return started;
  }

  private async startLoop(delayMs: number, automatic: boolean, signal: AbortSignal): Promise<AppTarget> {
    if (this.stopping !== null) await this.stopping;
    let wait = delayMs;
    for (;;) {
      if (wait > 0) await this.backoff(wait, signal);
      try {
        return await this.startOnce(signal);
      } catch (error) {
        const failure = this.asStartError(error);
        if (failure.reason === 'stopped') throw failure;
        if (!automatic) {
          this.fail(failure.message);
          throw failure;
        }
        // A restart that fails before ready is one more crash: it counts against the same limit.
        const retryMs = this.nextRestartDelay();
        if (retryMs === null) {
          const final = new AppStartError(
            this.spec.name,
            failure.reason,
            this.giveUpSentence(failure.message),
            failure.logTail,
          );
          this.fail(final.message);
          throw final;
        }
        this.options.logger.warn('app start failed', {
          name: this.spec.name,
          error: failure.message,
          restart_in_ms: retryMs,
        });
        wait = retryMs;
      }
    }
  }

  private async backoff(delayMs: number, signal: AbortSignal): Promise<void> {
    this.nextRestartAt = new Date(Date.now() + delayMs);
    this.setState('starting');
    try {
      await sleep(delayMs, undefined, { signal });
    } catch {
      throw this.stoppedError(this.output.total);
    } finally {
      this.nextRestartAt = null;
    }
  }

  private async startOnce(signal: AbortSignal): Promise<AppTarget> {
    await this.cleanup;
    const mark = this.output.total;
    if (signal.aborted) throw this.stoppedError(mark);
    this.error = null;
    this.target = null;
    this.readyAt = null;
    this.startedAt = new Date();
    this.setState('starting');
    const target = await this.pickTarget();
    const values = this.options.placeholders(this.spec, listenValues(target));
    this.target = target;
    if (this.spec.command.length === 0) return this.awaitReady(target, values, null, mark, signal);
    if (target.kind === 'unix') await this.removeStaleSocket(target.path, mark);
    const spawned = await this.spawnProcess(values, mark, signal);
    this.setState('starting');
    return this.awaitReady(target, values, spawned, mark, signal);
  }

  private async pickTarget(): Promise<AppTarget> {
    const listen = this.spec.listen;
    if (listen.kind === 'port') {
      return { kind: 'tcp', host: '127.0.0.1', port: listen.port === 0 ? await findFreePort() : listen.port };
    }
    return {
      kind: 'unix',
      path: listen.path ?? join(await this.options.socketDir(), `${this.spec.name}.sock`),
    };
  }

  /** A socket file left by an earlier run makes the app's bind fail with EADDRINUSE. */
  private async removeStaleSocket(path: string, mark: number): Promise<void> {
    const found = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (found === null) return;
    if (!found.isSocket()) {
      throw this.startError(
        'spawn',
        `could not start ${this.spec.name}: ${path} exists and is not a socket`,
        mark,
      );
    }
    await unlink(path).catch(() => undefined);
  }

  private async spawnProcess(
    values: PlaceholderValues,
    mark: number,
    signal: AbortSignal,
  ): Promise<SpawnedProcess> {
    const [file = '', ...args] = this.spec.command.map((arg) => expandPlaceholders(arg, values));
    const env: NodeJS.ProcessEnv = { ...this.options.baseEnv };
    for (const [key, value] of Object.entries(this.spec.environment))
      env[key] = expandPlaceholders(value, values);
    const cwd = await this.workingDirectory(values, mark);
    // Checked right before the synchronous spawn: a stop() that came first finds nothing to kill.
    if (signal.aborted) throw this.stoppedError(mark);
    const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    if (child.pid === undefined) {
      const error = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw this.startError('spawn', `could not start ${this.spec.name}: ${error.message}`, mark);
    }
    child.on('error', (error) =>
      this.options.logger.warn('app process error', { name: this.spec.name, error: error.message }),
    );

    let resolveExited: (exit: AppExit) => void = () => undefined;
    const exited = new Promise<AppExit>((resolve) => (resolveExited = resolve));
    const drained = Promise.all([
      forEachLine(child.stdout, (line) => this.onOutput('stdout', line)),
      forEachLine(child.stderr, (line) => this.onOutput('stderr', line)),
    ]).then(() => undefined);
    const spawned: SpawnedProcess = { pid: child.pid, exited, drained, exit: null, terminating: false };
    this.current = spawned;
    this.options.logger.info('app spawn', { name: this.spec.name, pid: child.pid, command: file, cwd });

    child.once('exit', (code, exitSignal) => {
      const exit: AppExit = { code, signal: exitSignal, at: new Date() };
      const crashed = this.state === 'running' && this.current === spawned && !signal.aborted;
      spawned.exit = exit;
      this.lastExit = exit;
      this.options.logger.info('app exit', {
        name: this.spec.name,
        pid: spawned.pid,
        code,
        signal: exitSignal,
      });
      // The leader is gone but helpers it started may live on in its group; they go before a restart.
      if (!signal.aborted) this.cleanup = this.terminate(spawned, this.options.stopGraceMs);
      resolveExited(exit);
      if (crashed) this.onCrash(exit);
    });
    return spawned;
  }

  private async workingDirectory(values: PlaceholderValues, mark: number): Promise<string> {
    if (this.spec.cwd !== null) {
      const dir = expandPlaceholders(this.spec.cwd, values);
      if (!(await isDirectory(dir))) {
        throw this.startError(
          'spawn',
          `could not start ${this.spec.name}: working directory ${dir} does not exist`,
          mark,
        );
      }
      return dir;
    }
    return values.home !== '' && (await isDirectory(values.home)) ? values.home : process.cwd();
  }

  private async awaitReady(
    target: AppTarget,
    values: PlaceholderValues,
    spawned: SpawnedProcess | null,
    mark: number,
    signal: AbortSignal,
  ): Promise<AppTarget> {
    const readiness = { ...this.spec.readiness, path: expandPlaceholders(this.spec.readiness.path, values) };
    const probing = new AbortController();
    const outcome = await Promise.race([
      waitUntilReady(target, readiness, AbortSignal.any([signal, probing.signal])),
      ...(spawned === null ? [] : [spawned.exited.then((exit) => ({ kind: 'exited' as const, exit }))]),
    ]);
    probing.abort();
    if (signal.aborted) throw this.stoppedError(mark);
    if (outcome.kind === 'ready' && (spawned === null || spawned.exit === null)) {
      this.readyAt = new Date();
      this.setState('running');
      return target;
    }
    if (outcome.kind === 'timeout') {
      if (spawned !== null) await this.terminate(spawned, this.options.stopGraceMs);
      const wanted = readiness.status.length > 0 ? ` with status ${readiness.status.join(' or ')}` : '';
      const where = spawned === null ? ` on ${describeTarget(target)}` : '';
      const lastTry = outcome.lastTry === null ? '' : ` (last try: ${outcome.lastTry})`;
      const sentence = `${this.spec.name} did not answer GET ${readiness.path}${wanted}${where} within ${readiness.timeoutSeconds} s${lastTry}`;
      throw this.startError('timeout', sentence, mark);
    }
    // The process exited first (or in the same instant as its last answer): fail now, not at the timeout.
    const exit = spawned?.exit ?? (await spawned?.exited);
    await Promise.race([spawned?.drained, sleep(OUTPUT_SETTLE_MS, undefined, { ref: false })]);
    await this.cleanup;
    const cause = exit === undefined ? `${this.spec.name} exited` : describeExit(this.spec.name, exit);
    throw this.startError('exited', `${cause} before it was ready`, mark);
  }

  private onCrash(exit: AppExit): void {
    this.target = null;
    const cause = describeExit(this.spec.name, exit);
    const clean = exit.code === 0 && exit.signal === null;
    const policy = this.spec.restart.policy;
    if (policy === 'never' || (policy === 'on-failure' && clean)) {
      if (!clean) return this.fail(cause);
      // Not a dead entry: the next request starts it again through ensureRunning().
      this.error = null;
      return this.setState('stopped');
    }
    const retryMs = this.nextRestartDelay();
    if (retryMs === null) return this.fail(this.giveUpSentence(cause));
    this.options.logger.warn('app crashed', {
      name: this.spec.name,
      code: exit.code,
      signal: exit.signal,
      restarts: this.restarts,
      restart_in_ms: retryMs,
    });
    void this.beginStart(retryMs, true);
  }

  /** Counts one more restart and returns its backoff, or null when the window's budget is spent. */
  private nextRestartDelay(): number | null {
    const { maxRestarts, windowSeconds, backoffSeconds, maxBackoffSeconds } = this.spec.restart;
    const now = Date.now();
    this.recentRestarts = this.recentRestarts.filter((at) => now - at < windowSeconds * 1000);
    if (this.recentRestarts.length >= maxRestarts) return null;
    const delaySeconds = Math.min(backoffSeconds * 2 ** this.recentRestarts.length, maxBackoffSeconds);
    this.recentRestarts.push(now);
    this.restarts += 1;
    return Math.round(delaySeconds * 1000);
  }

  private giveUpSentence(cause: string): string {
    const count = this.recentRestarts.length;
    if (count === 0) return `${cause}; restarts are off (restart.maxRestarts is 0)`;
    const times = count === 1 ? 'restart' : 'restarts';
    return `${cause} after ${count} ${times} within ${this.spec.restart.windowSeconds} s; not restarting it again`;
  }

  /** Ends every process of the group: SIGTERM now, SIGKILL to what is left after `graceMs`. */
  private async terminate(spawned: SpawnedProcess, graceMs: number): Promise<void> {
    if (!spawned.terminating) {
      spawned.terminating = true;
      signalGroup(spawned.pid, 'SIGTERM');
    }
    if (!(await waitForGroupExit(spawned.pid, graceMs))) {
      this.options.logger.warn('app kill', { name: this.spec.name, pgid: spawned.pid, grace_ms: graceMs });
      signalGroup(spawned.pid, 'SIGKILL');
      if (!(await waitForGroupExit(spawned.pid, KILL_WAIT_MS))) {
        this.options.logger.error('app group survived SIGKILL', { name: this.spec.name, pgid: spawned.pid });
      }
    }
    if (this.current === spawned) this.current = null;
  }

  private onOutput(stream: 'stdout' | 'stderr', line: string): void {
    this.output.push(line);
    this.options.logger.appLine(this.spec.name, stream, line);
  }

  private fail(sentence: string): void {
    this.error = sentence;
    this.target = null;
    this.nextRestartAt = null;
    this.setState('failed');
  }

  private setState(state: AppState): void {
    this.state = state;
    const status = this.status();
    const fields = {
      name: status.name,
      state,
      pid: status.pid,
      restarts: status.restarts,
      next_restart_in_ms:
        status.nextRestartAt === null ? undefined : status.nextRestartAt.getTime() - Date.now(),
      error: status.error ?? undefined,
    };
    if (state === 'failed') this.options.logger.warn('app state', fields);
    else this.options.logger.info('app state', fields);
    try {
      this.emit('state', status);
    } catch (error) {
      // A listener's bug must not leave the state machine half-way through a transition.
      this.options.logger.error('app state listener failed', { name: status.name, error: String(error) });
    }
  }

  private startError(reason: AppStartError['reason'], sentence: string, mark: number): AppStartError {
    return new AppStartError(this.spec.name, reason, sentence, this.output.since(mark, ERROR_TAIL_LINES));
  }

  private stoppedError(mark: number): AppStartError {
    return this.startError('stopped', `${this.spec.name} was stopped before it was ready`, mark);
  }

  private asStartError(error: unknown): AppStartError {
    if (error instanceof AppStartError) return error;
    const message = error instanceof Error ? error.message : String(error);
    return new AppStartError(this.spec.name, 'spawn', `could not start ${this.spec.name}: ${message}`, []);
  }
}

function describeExit(name: string, exit: AppExit): string {
  return exit.signal !== null
    ? `${name} was killed by ${exit.signal}`
    : `${name} exited with code ${exit.code}`;
}

async function isDirectory(path: string): Promise<boolean> {
  return stat(path).then(
    (found) => found.isDirectory(),
    () => false,
  );
}
