/** What the rest of the runtime sees of one supervised app: its state, where to reach it, why it failed. */
export type AppState = 'stopped' | 'starting' | 'running' | 'failed';

export type AppTarget = { kind: 'tcp'; host: '127.0.0.1'; port: number } | { kind: 'unix'; path: string };

export interface AppExit {
  code: number | null;
  signal: string | null;
  at: Date;
}

export interface AppStatus {
  name: string;
  state: AppState;
  target: AppTarget | null;
  pid: number | null;
  /** Automatic restarts since the last start by hand (`restart()`). */
  restarts: number;
  startedAt: Date | null;
  readyAt: Date | null;
  lastExit: AppExit | null;
  /** A sentence for the error page, set while `failed`. */
  error: string | null;
  /** When a crashed app is started again, while it waits out its backoff. */
  nextRestartAt: Date | null;
}

/** What the `placeholders` callback learns about where the app will listen. */
export interface ListenValues {
  port: number | null;
  socketPath: string | null;
}

export function listenValues(target: AppTarget): ListenValues {
  return target.kind === 'tcp'
    ? { port: target.port, socketPath: null }
    : { port: null, socketPath: target.path };
}

export function describeTarget(target: AppTarget): string {
  return target.kind === 'tcp' ? `${target.host}:${target.port}` : `unix socket ${target.path}`;
}
