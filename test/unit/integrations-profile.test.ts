// `hubify profile`'s entry (cli/integrations/profile/profile-entry.ts) from normalised manifests: one
// choice per launcher-visible app setting default_url (with the app's pathInfo), the manifest's
// default app as the default choice (else the launcher), descriptions on every choice, no options at
// all for an image without apps, and YAML that parses back to the same entry.
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { checkManifestData } from '../../schemas/manifest.ts';
import type { ManifestSpec } from '../../proxy/app-spec.ts';
import {
  APP_OPTION_KEY,
  LAUNCHER_CHOICE,
  LAUNCHER_URL,
  appDefaultUrl,
  profileEntry,
  profileYaml,
} from '../../cli/integrations/profile/profile-entry.ts';

function manifest(data: unknown): ManifestSpec {
  const result = checkManifestData(data, 'test');
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.manifest;
}

const TWO_APPS = manifest({
  schemaVersion: 1,
  defaultApp: 'lab',
  apps: [
    { name: 'shiny', title: 'Sales dashboard', command: ['shiny-run', '{port}'], launcher: { order: 2 } },
    {
      name: 'lab',
      title: 'JupyterLab',
      description: 'The JupyterLab IDE',
      command: ['jupyter-lab', '--port={port}'],
      launcher: { pathInfo: 'lab', order: 1 },
    },
    { name: 'hidden', command: ['x', '{port}'], launcher: { show: false } },
  ],
});

describe('profileEntry', () => {
  it('has one choice per visible app, in launcher order, plus the launcher, each with default_url and a description', () => {
    const entry = profileEntry({ image: 'me/img@sha256:abc', displayName: 'My image', manifest: TWO_APPS });
    expect(entry.display_name).toBe('My image');
    expect(entry.slug).toBe('my-image');
    expect(entry.kubespawner_override).toEqual({ image: 'me/img@sha256:abc' });
    expect(entry.description).toBe('Apps: JupyterLab (lab), Sales dashboard (shiny).');
    const option = entry.profile_options?.[APP_OPTION_KEY];
    expect(option?.display_name).toBe('Open');
    const choices = option?.choices ?? {};
    expect(Object.keys(choices)).toEqual(['lab', 'shiny', LAUNCHER_CHOICE]);
    expect(choices.lab).toEqual({
      display_name: 'JupyterLab',
      description: 'The JupyterLab IDE. Opens at /lab/.',
      default: true,
      kubespawner_override: { default_url: '/lab/lab' },
    });
    expect(choices.shiny?.kubespawner_override.default_url).toBe('/shiny/');
    expect(choices.shiny?.description).toBe('Opens Sales dashboard at /shiny/.');
    expect(choices[LAUNCHER_CHOICE]?.kubespawner_override.default_url).toBe(LAUNCHER_URL);
    expect(choices[LAUNCHER_CHOICE]?.default).toBeUndefined();
    for (const choice of Object.values(choices)) expect(choice.description.length).toBeGreaterThan(10);
  });

  it('makes the launcher the default choice when the manifest names no default app', () => {
    const noDefault = manifest({ schemaVersion: 1, apps: [{ name: 'a', command: ['a', '{port}'] }] });
    const choices = profileEntry({ image: 'i', displayName: 'I', manifest: noDefault }).profile_options?.app
      .choices;
    expect(choices?.[LAUNCHER_CHOICE]?.default).toBe(true);
    expect(choices?.a?.default).toBeUndefined();
  });

  it('has no profile options for an image without apps, and a description that says so', () => {
    const entry = profileEntry({
      image: 'i',
      displayName: 'Plain',
      manifest: manifest({ schemaVersion: 1, apps: [] }),
      isDefault: true,
    });
    expect(entry.profile_options).toBeUndefined();
    expect(entry.default).toBe(true);
    expect(entry.description).toContain('No apps');
  });

  it('never names its option image or resources (jupyterhub-fancy-profiles special-cases those)', () => {
    expect(['image', 'resources']).not.toContain(APP_OPTION_KEY);
  });

  it('turns pathInfo into the default URL below the server prefix', () => {
    expect(
      appDefaultUrl({
        name: 'nb',
        launcher: { pathInfo: '/tree', show: true, category: '', order: 0, newBrowserTab: false },
      }),
    ).toBe('/nb/tree');
  });
});

describe('profileYaml', () => {
  it('is a commented YAML list of the one entry that parses back to it', () => {
    const entry = profileEntry({
      image: 'me/img:1',
      displayName: 'Img: "quoted" & more',
      manifest: TWO_APPS,
    });
    const text = profileYaml(entry, 'detection');
    expect(text.split('\n')[0]).toBe('# KubeSpawner profile for me/img:1 (apps from detection).');
    expect(parseYaml(text)).toEqual([entry]);
  });
});
