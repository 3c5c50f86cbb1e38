/**
 * Placeholder expansion for commands, environment values, working directories and readiness paths.
 * One implementation for the loader (which checks) and the runtime (which expands): `{port}` and the
 * other known names are replaced, `{{`/`}}` are literal braces, any other `{...}` stays as written
 * (commands legitimately carry braces: shell, JSON, R code).
 */
export { expandPlaceholders } from '../../schemas/placeholders.ts';
