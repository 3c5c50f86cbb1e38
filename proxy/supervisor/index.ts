/** The supervisor's public surface: start, watch, restart and stop the manifest's apps. */
export { AppStartError, type AppStartFailure } from './app-start-error.ts';
export type { AppExit, AppState, AppStatus, AppTarget, ListenValues } from './app-status.ts';
export { findFreePort } from './free-port.ts';
export { expandPlaceholders } from './placeholders.ts';
export { SupervisedApp, type SupervisedAppOptions } from './supervised-app.ts';
export { DEFAULT_STOP_GRACE_MS, Supervisor, type SupervisorOptions } from './supervisor.ts';
