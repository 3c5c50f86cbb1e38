/**
 * The manifest `hubify` generates for an image: its detected apps (templates filled with the values
 * detection found), the original image config, a default app, then the user's overrides (`--manifest`
 * file, `--app NAME=COMMAND`), validated as a whole with the manifest loader.
 */
import { parse as parseShell } from 'shell-quote';
import {
  checkManifestData,
  formatManifestIssues,
  type Manifest,
  type ManifestIssue,
  type ManifestWarning,
} from '../../schemas/manifest.ts';
import { EXIT, HubifyError, usageError } from '../errors.ts';
import type { ImageFacts } from '../image/image-facts.ts';
import { fillTemplate } from './templates.ts';

/** Which app the server root opens, in order of preference (by app name); else the first app. */
export const DEFAULT_APP_PREFERENCE = ['rstudio', 'jupyterlab', 'notebook', 'code-server'] as const;

/** An `--app NAME=COMMAND` option: an app added, or replacing the detected one of that name. */
export interface AppOption {
  name: string;
  command: string[];
}

export interface ManifestFromFactsOptions {
  /** The parsed `--manifest` file: its apps replace detected apps of the same name or are added; its other top-level fields are set. */
  overrides?: unknown;
  /** `--app` options, as given (`NAME=COMMAND`) or parsed. Applied last. */
  apps?: readonly (string | AppOption)[];
  /** Names the overrides in issues (default "--manifest"). */
  overridesSource?: string;
}

export interface GeneratedManifest {
  /** The manifest as written out (only what differs from the defaults, plus what detection set). */
  manifest: Manifest;
  /** Every problem of the manifest (empty when it is valid). */
  issues: ManifestIssue[];
  warnings: ManifestWarning[];
  /** Detected apps left out, with why (a template value could not be used). */
  skipped: string[];
}

/** Parses `NAME=COMMAND`: COMMAND is split like a shell would (quotes, backslashes), without expanding anything. */
export function parseAppOption(text: string): AppOption {
  const eq = text.indexOf('=');
  const name = eq < 0 ? '' : text.slice(0, eq).trim();
  const commandText = eq < 0 ? '' : text.slice(eq + 1);
  if (name === '' || commandText.trim() === '') {
    throw usageError(
      `--app wants NAME=COMMAND, for example --app "shiny=Rscript app.R {port}", got ${JSON.stringify(text)}`,
    );
  }
  const command: string[] = [];
  // Keep $VAR as written (the runtime runs the command without a shell).
  for (const token of parseShell(commandText, (variable) => `$${variable}`)) {
    if (typeof token === 'string') command.push(token);
    else if ('pattern' in token) command.push(token.pattern);
    else if ('comment' in token) break;
    else {
      throw usageError(
        `--app ${name}: the command holds the shell operator ${JSON.stringify(token.op)}; the runtime runs commands ` +
          `without a shell, so write it as: --app '${name}=sh -c "..."'`,
      );
    }
  }
  return { name, command };
}

/** The app the root URL opens: the most preferred one present, else the first app; none when there are no apps. */
export function chooseDefaultApp(names: readonly string[]): string | undefined {
  return DEFAULT_APP_PREFERENCE.find((name) => names.includes(name)) ?? names[0];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function overrideIssue(path: string, message: string, value: unknown, source: string): ManifestIssue {
  return {
    path,
    rule: 'overrides',
    value,
    message: `(in ${source}) ${message}`,
    hint: `Check ${source}: it is a manifest (or part of one) whose apps replace or add to the detected ones.`,
    code: 'HUBIFY_MANIFEST_TYPE',
  };
}

/** The `image` section: the original ENTRYPOINT, CMD, USER, WORKDIR and ENV. */
function imageSection(facts: ImageFacts): NonNullable<Manifest['image']> {
  const { config } = facts;
  return {
    entrypoint: config.entrypoint ?? [],
    cmd: config.cmd ?? [],
    ...(config.user === '' ? {} : { user: config.user }),
    ...(config.workdir === '' ? {} : { workdir: config.workdir }),
    env: { ...config.env },
  };
}

/**
 * Builds and validates the manifest for `facts`. Never throws for an invalid result (see `issues`;
 * `manifestInvalidError` turns them into the CLI error); throws a usage HubifyError for a bad `--app`.
 */
export function manifestFromFacts(
  facts: ImageFacts,
  options: ManifestFromFactsOptions = {},
): GeneratedManifest {
  const source = options.overridesSource ?? '--manifest';
  const skipped: string[] = [];
  const preIssues: ManifestIssue[] = [];
  const apps: Record<string, unknown>[] = [];

  for (const detected of facts.apps) {
    const filled = fillTemplate(detected.template, { ...detected.values, name: detected.name });
    const why = [...filled.missing.map((name) => `no value for \${${name}}`), ...filled.problems];
    if (why.length > 0) skipped.push(`${detected.name} (${detected.template}): ${why.join('; ')}`);
    else apps.push(filled.app);
  }

  const manifest: Record<string, unknown> = { schemaVersion: 1, image: imageSection(facts), apps };

  const overrides = options.overrides;
  if (overrides !== undefined && overrides !== null) {
    if (!isRecord(overrides)) {
      preIssues.push(
        overrideIssue('', 'must be a mapping (a manifest), got something else', overrides, source),
      );
    } else {
      for (const [key, value] of Object.entries(overrides)) if (key !== 'apps') manifest[key] = value;
      const extra = overrides.apps;
      if (extra !== undefined && !Array.isArray(extra)) {
        preIssues.push(overrideIssue('apps', 'must be a list of apps', extra, source));
      } else {
        for (const [index, entry] of (extra ?? []).entries()) {
          if (!isRecord(entry) || typeof entry.name !== 'string') {
            preIssues.push(overrideIssue(`apps[${index}]`, 'must be an app with a name', entry, source));
            continue;
          }
          const at = apps.findIndex((item) => item.name === entry.name);
          if (at >= 0) apps[at] = entry;
          else apps.push(entry);
        }
      }
    }
  }

  for (const option of options.apps ?? []) {
    const { name, command } = typeof option === 'string' ? parseAppOption(option) : option;
    const entry = { name, command };
    const at = apps.findIndex((item) => item.name === name);
    if (at >= 0) apps[at] = entry;
    else apps.push(entry);
  }

  if (manifest.defaultApp === undefined) {
    const names = apps.map((item) => item.name).filter((name): name is string => typeof name === 'string');
    const chosen = chooseDefaultApp(names);
    if (chosen !== undefined) manifest.defaultApp = chosen;
  }
  // Field order as a person would write it.
  const { schemaVersion, defaultApp, image, runtime, apps: finalApps, ...rest } = manifest;
  const ordered = {
    schemaVersion,
    ...(defaultApp === undefined ? {} : { defaultApp }),
    ...(image === undefined ? {} : { image }),
    ...(runtime === undefined ? {} : { runtime }),
    ...rest,
    apps: finalApps,
  } as unknown as Manifest;

  const result = checkManifestData(ordered, facts.reference);
  return {
    manifest: ordered,
    issues: [...preIssues, ...(result.ok ? [] : result.issues)],
    warnings: result.warnings,
    skipped,
  };
}

/** The CLI error for a generated manifest with problems (exit 2, HUBIFY_MANIFEST_INVALID). */
export function manifestInvalidError(generated: GeneratedManifest, reference: string): HubifyError {
  const listing = formatManifestIssues(generated.issues, `the manifest for ${reference}`)
    .trimEnd()
    .split('\n');
  return new HubifyError({
    code: 'HUBIFY_MANIFEST_INVALID',
    message: `the manifest generated for ${reference} is invalid (${generated.issues.length} problem${generated.issues.length === 1 ? '' : 's'})`,
    detail: listing
      .slice(1, -1)
      .map((line) => line.replace(/^ {2}/, ''))
      .join('\n'),
    hint: 'Fix the --manifest file or --app options named above and run again.',
    exitCode: EXIT.USAGE,
  });
}
