/**
 * The manifest the hub runtime serves in a buildpack-built image: each chosen process type becomes an
 * app at `<server prefix><type>/`, started as the launcher would start that process (its command and
 * default arguments, its working directory or the app directory), with the port the runtime picks in
 * `PORT` (the Procfile convention; the app must listen on 127.0.0.1:$PORT). The server's root opens the
 * `web` app when there is one. Validated against the manifest schema like every other manifest.
 */
import {
  checkManifestData,
  formatManifestIssues,
  type Manifest,
  type ManifestWarning,
} from '../../schemas/manifest.ts';
import type { ProcessType } from './process-types.ts';

/** A process's text as literal manifest text: `{` and `}` are placeholder syntax there (`${PORT}`!). */
export function literal(text: string): string {
  return text.replace(/[{}]/g, (brace) => brace + brace);
}

/** The app name of a process type: lowercase, `.` and `_` as `-` (app names are URL segments). */
export function appName(type: string): string {
  return type
    .toLowerCase()
    .replace(/[._]/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-+|-+$/g, '');
}

function workingDir(process: ProcessType, appDir: string): string {
  const dir = process.workingDir ?? appDir;
  return dir.startsWith('/') ? dir : `${appDir.replace(/\/+$/, '')}/${dir}`;
}

export function appOf(process: ProcessType, appDir: string): Manifest['apps'][number] {
  return {
    name: appName(process.type),
    title: process.type === 'web' ? 'Web app' : process.type,
    description: `The app's ${process.type} process (from ${process.source}).`,
    command: [...process.command, ...process.args].map(literal),
    environment: { PORT: '{port}' },
    cwd: literal(workingDir(process, appDir)),
  };
}

export class ManifestProblem extends Error {
  override readonly name = 'ManifestProblem';
}

/** The manifest for these processes; throws ManifestProblem listing every problem when invalid. */
export function buildpackManifest(
  processes: readonly ProcessType[],
  appDir: string,
): { manifest: Manifest; warnings: ManifestWarning[] } {
  const apps = processes.map((process) => appOf(process, appDir));
  const web = apps.find((app) => app.name === 'web');
  const manifest: Manifest = {
    schemaVersion: 1,
    ...(web === undefined ? {} : { defaultApp: web.name }),
    apps,
  };
  const result = checkManifestData(manifest, 'the generated manifest');
  if (!result.ok) throw new ManifestProblem(formatManifestIssues(result.issues, 'the generated manifest'));
  return { manifest, warnings: result.warnings };
}
