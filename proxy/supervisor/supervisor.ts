/** All apps of the manifest: lookup by name, eager start, and shutdown within the spawner's grace. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { AppSpec, PlaceholderValues } from '../app-spec.ts';
import type { Logger } from '../log.ts';
import type { ListenValues } from './app-status.ts';
import { SupervisedApp } from './supervised-app.ts';

/** KubeSpawner's default grace is 1 s: callers pass less when they know the spawner's budget. */
export const DEFAULT_STOP_GRACE_MS = 3_000;

export interface SupervisorOptions {
  apps: AppSpec[];
  placeholders: (app: AppSpec, listen: ListenValues) => PlaceholderValues;
  baseEnv: NodeJS.ProcessEnv;
  logger: Logger;
  /** Directory for sockets of apps without a socket path; default: a fresh private one under os.tmpdir(). */
  socketDir?: string;
  stopGraceMs?: number;
}

export class Supervisor {
  private readonly apps = new Map<string, SupervisedApp>();
  private readonly stopGraceMs: number;
  private readonly ownsSocketDir: boolean;
  private socketDir: Promise<string> | null;

  constructor(options: SupervisorOptions) {
    this.stopGraceMs = options.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.ownsSocketDir = options.socketDir === undefined;
    this.socketDir = options.socketDir === undefined ? null : Promise.resolve(options.socketDir);
    for (const spec of options.apps) {
      if (this.apps.has(spec.name)) throw new Error(`two apps are named ${spec.name}`);
      const app = new SupervisedApp(spec, {
        placeholders: options.placeholders,
        baseEnv: options.baseEnv,
        logger: options.logger,
        stopGraceMs: this.stopGraceMs,
        socketDir: () => this.socketDirectory(),
      });
      this.apps.set(spec.name, app);
    }
  }

  get(name: string): SupervisedApp | undefined {
    return this.apps.get(name);
  }

  list(): SupervisedApp[] {
    return [...this.apps.values()];
  }

  /** Starts eager apps in the background; a failure shows in the app's status and the log. */
  startEager(): void {
    for (const app of this.apps.values()) {
      if (app.spec.start === 'eager') app.ensureRunning().catch(() => undefined);
    }
  }

  /** SIGTERM to every app's process group at once, SIGKILL to survivors after `graceMs`. */
  async stopAll(graceMs: number = this.stopGraceMs): Promise<void> {
    await Promise.all(this.list().map((app) => app.stop(graceMs)));
    if (this.ownsSocketDir && this.socketDir !== null) {
      const dir = await this.socketDir.catch(() => null);
      this.socketDir = null;
      if (dir !== null) await rm(dir, { recursive: true, force: true });
    }
  }

  private socketDirectory(): Promise<string> {
    // mkdtemp creates the directory with mode 0700: other users on a shared host cannot reach the sockets.
    this.socketDir ??= mkdtemp(join(tmpdir(), 'hubify-sockets-')).catch((error: unknown) => {
      this.socketDir = null;
      throw error;
    });
    return this.socketDir;
  }
}
