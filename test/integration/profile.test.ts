// `hubify profile IMAGE`: the KubeSpawner profile_list entry for an image, parsed with the yaml package
// and checked against the shape KubeSpawner reads (z2jh `singleuser.profileList` items) and
// jupyterhub-fancy-profiles reads unchanged (display_name, slug, description, profile_options whose
// options have display_name and choices, every choice with display_name, description and
// kubespawner_override; the option key is neither `image` nor `resources`). For a hubified fixture
// with two apps (rocker-r: Shiny app `hello`, RStudio), the apps come from the image's own manifest;
// for an image that is not hub-ready (conda-notebook), from detection.
import type Docker from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { connectDocker } from '../helpers/docker.ts';
import { describeRun, runNode } from '../helpers/hubify-cli.ts';
import { setUpOrFailEveryTest } from '../helpers/setup-guard.ts';
import { ensureFixtures } from '../images/build-fixtures.ts';

const HUBIFIED = 'hubify-test/profile-rocker:latest';
const PLAIN = 'hubify-fixture/conda-notebook:latest';

/** The keys KubeSpawner's profile_list accepts at each level (kubespawner/spawner.py). */
const PROFILE_KEYS = [
  'display_name',
  'description',
  'slug',
  'default',
  'kubespawner_override',
  'profile_options',
];
const OPTION_KEYS = ['display_name', 'choices', 'unlisted_choice'];
const CHOICE_KEYS = ['display_name', 'description', 'default', 'kubespawner_override'];

interface Choice {
  display_name: string;
  description: string;
  default?: boolean;
  kubespawner_override: Record<string, unknown>;
}
interface Profile {
  display_name: string;
  slug: string;
  description: string;
  kubespawner_override: Record<string, unknown>;
  profile_options?: Record<string, { display_name: string; choices: Record<string, Choice> }>;
}

let docker: Docker;

async function profile(image: string, more: string[] = []): Promise<{ yaml: string; entries: Profile[] }> {
  const args = ['profile', image, ...more];
  const result = await runNode(args, { timeoutMs: 120_000 });
  expect(result.code, describeRun(args, result)).toBe(0);
  return { yaml: result.stdout, entries: parseYaml(result.stdout) as Profile[] };
}

/** Checks one entry's shape; returns its choices. */
function expectProfileShape(entry: Profile, image: string): Record<string, Choice> {
  for (const key of Object.keys(entry)) expect(PROFILE_KEYS).toContain(key);
  expect(typeof entry.display_name).toBe('string');
  expect(entry.slug).toMatch(/^[a-z0-9-]+$/);
  expect(entry.kubespawner_override).toEqual({ image });
  const options = entry.profile_options ?? {};
  expect(Object.keys(options)).toEqual(['app']);
  const option = options.app;
  if (option === undefined) throw new Error('no app option');
  for (const key of Object.keys(option)) expect(OPTION_KEYS).toContain(key);
  expect(option.display_name.length).toBeGreaterThan(0);
  const choices = Object.values(option.choices);
  for (const choice of choices) {
    for (const key of Object.keys(choice)) expect(CHOICE_KEYS).toContain(key);
    expect(choice.display_name.length).toBeGreaterThan(0);
    expect(choice.description.length).toBeGreaterThan(0);
    expect(Object.keys(choice.kubespawner_override)).toEqual(['default_url']);
    expect(choice.kubespawner_override.default_url).toMatch(/^\//);
  }
  expect(choices.filter((choice) => choice.default === true)).toHaveLength(1);
  return option.choices;
}

setUpOrFailEveryTest(async () => {
  docker = await connectDocker();
  await ensureFixtures(['rocker-r', 'conda-notebook'], { docker, log: () => {} });
  const args = ['build', 'hubify-fixture/rocker-r:latest', '--tag', HUBIFIED];
  const built = await runNode(args, { timeoutMs: 10 * 60_000 });
  if (built.code !== 0) throw new Error(describeRun(args, built));
}, 20 * 60_000);

describe('hubify profile', () => {
  it('lists the apps of a hubified image, one choice each that sets default_url, plus the launcher', async () => {
    const { yaml, entries } = await profile(HUBIFIED, ['--display-name', 'R with RStudio and Shiny']);
    expect(yaml).toMatch(/^# KubeSpawner profile for /);
    expect(yaml).toContain('singleuser.profileList');
    expect(entries).toHaveLength(1);
    const entry = entries[0];
    if (entry === undefined) throw new Error('no entry');
    expect(entry.display_name).toBe('R with RStudio and Shiny');
    expect(entry.slug).toBe('r-with-rstudio-and-shiny');
    const choices = expectProfileShape(entry, HUBIFIED);
    expect(Object.keys(choices).sort()).toEqual(['_launcher', 'hello', 'rstudio']);
    expect(choices.rstudio?.kubespawner_override.default_url).toBe('/rstudio/');
    expect(choices.hello?.kubespawner_override.default_url).toBe('/hello/');
    expect(choices._launcher?.kubespawner_override.default_url).toBe('/?launcher');
    // The manifest's default app (rstudio) is the default choice; the description names every app.
    expect(choices.rstudio?.default).toBe(true);
    expect(entry.description).toContain('(rstudio)');
    expect(entry.description).toContain('hello');
  });

  it('pins the image reference given, and works for an image that is not hub-ready yet (detection)', async () => {
    const pinned = `myorg/plain@sha256:${'a'.repeat(64)}`;
    const { yaml, entries } = await profile(PLAIN, ['--image-ref', pinned, '--default']);
    expect(yaml).toContain('apps from detection');
    const entry = entries[0];
    if (entry === undefined) throw new Error('no entry');
    expect((entry as Profile & { default?: boolean }).default).toBe(true);
    const choices = expectProfileShape(entry, pinned);
    expect(Object.keys(choices).sort()).toEqual(['_launcher', 'notebook']);
    expect(choices.notebook?.kubespawner_override.default_url).toBe('/notebook/tree');
  });

  it('prints the same entry as JSON with --json', async () => {
    const args = ['profile', HUBIFIED, '--json'];
    const result = await runNode(args, { timeoutMs: 120_000 });
    expect(result.code, describeRun(args, result)).toBe(0);
    const json = JSON.parse(result.stdout) as Profile;
    const { entries } = await profile(HUBIFIED);
    expect(json).toEqual(entries[0]);
  });
});
