/**
 * What the user (and earlier buildpacks) tell this buildpack. Users set `BP_HUBIFY_*` variables with
 * `pack build --env` (the platform writes them to `<platform>/env/NAME`, and the lifecycle also sets
 * them in our environment because the descriptor does not ask for `clear-env`; both are read, the
 * environment first). Earlier buildpacks ask for apps through the build plan: a `[[requires]]` entry
 * named `hubify` whose metadata has `apps = ["<process type>", ...]`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';

/** The build plan entry name this buildpack provides and requires. */
export const PLAN_ENTRY = 'hubify';

/** The process type served as an app when nothing says otherwise (the Procfile convention). */
export const DEFAULT_APP_TYPES: readonly string[] = ['web'];

/** Every `BP_*` variable the buildpack reads, with its meaning (the docs table is checked against it). */
export const BUILDPACK_VARIABLES: readonly (readonly [string, string])[] = [
  [
    'BP_HUBIFY_APPS',
    'Process types served as apps behind the hub runtime, separated by commas or spaces (default: web). "none": no apps.',
  ],
  ['BP_HUBIFY_ENABLED', 'false, 0 or no: the buildpack does not take part (detect fails with 100).'],
];

type Env = Readonly<Record<string, string | undefined>>;

/** A `BP_*` value: the environment's, else `<platform>/env/NAME`, else null. */
export async function platformSetting(name: string, env: Env): Promise<string | null> {
  const fromEnv = env[name];
  if (fromEnv !== undefined) return fromEnv;
  const platformDir = env.CNB_PLATFORM_DIR;
  if (platformDir === undefined || platformDir === '') return null;
  try {
    return await readFile(join(platformDir, 'env', name), 'utf8');
  } catch {
    return null;
  }
}

export function isDisabled(value: string | null): boolean {
  return value !== null && ['false', '0', 'no', 'off'].includes(value.trim().toLowerCase());
}

/** `BP_HUBIFY_APPS`: null when unset, [] for "none" or empty. */
export function parseAppTypes(value: string | null): string[] | null {
  if (value === null) return null;
  const words = value.split(/[\s,]+/).filter((word) => word !== '');
  if (words.length === 1 && words[0]?.toLowerCase() === 'none') return [];
  return [...new Set(words)];
}

/** Process types that the buildpack plan's `hubify` entries ask for (`[entries.metadata] apps`). */
export function planAppTypes(planText: string): string[] {
  const plan = parseToml(planText) as { entries?: { name?: unknown; metadata?: { apps?: unknown } }[] };
  const types: string[] = [];
  for (const entry of plan.entries ?? []) {
    if (entry.name !== PLAN_ENTRY) continue;
    const apps = entry.metadata?.apps;
    if (Array.isArray(apps)) for (const app of apps) if (typeof app === 'string') types.push(app);
  }
  return [...new Set(types)];
}

/**
 * The process types to serve: BP_HUBIFY_APPS when set (the user decides), else the plan's requests
 * plus the default `web`. `explicit` lists the ones that must exist (a missing one fails the build).
 */
export function chooseAppTypes(
  fromUser: string[] | null,
  fromPlan: readonly string[],
): { types: string[]; explicit: string[] } {
  if (fromUser !== null) return { types: fromUser, explicit: fromUser };
  return { types: [...new Set([...DEFAULT_APP_TYPES, ...fromPlan])], explicit: [...fromPlan] };
}
