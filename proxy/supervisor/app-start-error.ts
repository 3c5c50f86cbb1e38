/**
 * Why `ensureRunning()` did not produce a running app. `message` is the sentence shown on the error page;
 * `logTail` holds the app's last output lines from this start, the usual place to see the real cause.
 */
export type AppStartFailure = 'exited' | 'timeout' | 'spawn' | 'stopped';

export class AppStartError extends Error {
  override readonly name = 'AppStartError';
  readonly app: string;
  readonly reason: AppStartFailure;
  readonly logTail: string[];

  constructor(app: string, reason: AppStartFailure, message: string, logTail: string[]) {
    super(message);
    this.app = app;
    this.reason = reason;
    this.logTail = logTail;
  }
}
