/**
 * A KubeSpawner `profile_list` entry for an image (Zero to JupyterHub: one item of
 * `singleuser.profileList`), from the image's app manifest:
 *
 *   - display_name, slug, description (listing the apps)
 *     kubespawner_override: { image }
 *     profile_options:
 *       app:                      # one choice per app, plus the launcher; each sets default_url
 *         display_name: Open
 *         choices: { <app>: { display_name, description, default?, kubespawner_override: { default_url } } }
 *
 * The option key is `app`, never `image` or `resources` (jupyterhub-fancy-profiles gives those two a
 * special meaning); every choice has a description, which fancy-profiles shows under the choice. The
 * runtime redirects the server root to `default_url` (below the user's prefix); `/?launcher` forces
 * the launcher page even when the manifest names a default app.
 */
import { stringify } from 'yaml';
import type { AppSpec, ManifestSpec } from '../../../proxy/app-spec.ts';
import { slugify } from '../../inspect/parse.ts';

/** The profile option that chooses the app the server opens. */
export const APP_OPTION_KEY = 'app';
/** The choice that opens the launcher (every app); app names cannot start with `_`, so it never collides. */
export const LAUNCHER_CHOICE = '_launcher';
export const LAUNCHER_URL = '/?launcher';

export interface ProfileChoice {
  display_name: string;
  description: string;
  default?: true;
  kubespawner_override: { default_url: string };
}

export interface ProfileEntry {
  display_name: string;
  slug: string;
  description: string;
  default?: true;
  kubespawner_override: { image: string };
  profile_options?: {
    [APP_OPTION_KEY]: { display_name: string; choices: Record<string, ProfileChoice> };
  };
}

export interface ProfileInputs {
  /** The image reference the spawner pulls (ideally digest-pinned: repo@sha256:...). */
  image: string;
  displayName: string;
  manifest: Pick<ManifestSpec, 'apps' | 'defaultApp'>;
  /** Mark the profile as the hub's default. */
  isDefault?: boolean;
}

/** The apps people choose between: those the launcher shows. */
function visibleApps(manifest: ProfileInputs['manifest']): AppSpec[] {
  return manifest.apps
    .filter((app) => app.launcher.show)
    .sort((a, b) => a.launcher.order - b.launcher.order || a.name.localeCompare(b.name));
}

/** Where an app opens, below the server prefix: `/<name>/<pathInfo>`. */
export function appDefaultUrl(app: Pick<AppSpec, 'name' | 'launcher'>): string {
  return `/${app.name}/${app.launcher.pathInfo.replace(/^\/+/, '')}`;
}

function appLabel(app: AppSpec): string {
  return app.title === app.name ? app.name : `${app.title} (${app.name})`;
}

/** "Apps: RStudio (rstudio), Jupyter Notebook (notebook)." or the no-apps sentence. */
export function describeApps(apps: readonly AppSpec[]): string {
  if (apps.length === 0) return 'No apps yet: the server opens the hubify launcher.';
  return `Apps: ${apps.map(appLabel).join(', ')}.`;
}

function choiceDescription(app: AppSpec): string {
  const what = app.description.trim();
  return what === ''
    ? `Opens ${app.title} at /${app.name}/.`
    : `${what.replace(/\.?$/, '.')} Opens at /${app.name}/.`;
}

export function profileEntry(inputs: ProfileInputs): ProfileEntry {
  const apps = visibleApps(inputs.manifest);
  const entry: ProfileEntry = {
    display_name: inputs.displayName,
    slug: slugify(inputs.displayName) || 'hubify-image',
    description: describeApps(apps),
    ...(inputs.isDefault === true ? { default: true as const } : {}),
    kubespawner_override: { image: inputs.image },
  };
  if (apps.length === 0) return entry;
  const defaultApp = apps.some((app) => app.name === inputs.manifest.defaultApp)
    ? inputs.manifest.defaultApp
    : null;
  const choices: Record<string, ProfileChoice> = {};
  for (const app of apps) {
    choices[app.name] = {
      display_name: app.title,
      description: choiceDescription(app),
      ...(app.name === defaultApp ? { default: true as const } : {}),
      kubespawner_override: { default_url: appDefaultUrl(app) },
    };
  }
  choices[LAUNCHER_CHOICE] = {
    display_name: 'Launcher',
    description: `The hubify launcher page, with every app of the image (${apps.map((app) => app.name).join(', ')}).`,
    ...(defaultApp === null ? { default: true as const } : {}),
    kubespawner_override: { default_url: LAUNCHER_URL },
  };
  entry.profile_options = { [APP_OPTION_KEY]: { display_name: 'Open', choices } };
  return entry;
}

/** The YAML that goes under `singleuser.profileList` (a list of one entry), with a comment saying so. */
export function profileYaml(entry: ProfileEntry, source: string): string {
  const header = [
    `# KubeSpawner profile for ${entry.kubespawner_override.image} (apps from ${source}).`,
    '# Zero to JupyterHub: put this list item under singleuser.profileList in your values file;',
    '# KubeSpawner: it is one item of c.KubeSpawner.profile_list.',
  ];
  return `${header.join('\n')}\n${stringify([entry], { lineWidth: 0 })}`;
}
