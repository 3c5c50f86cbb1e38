/**
 * `hubify manifest generate IMAGE [--out FILE] [--app NAME=COMMAND]... [--manifest FILE]`: inspects a
 * local image and writes the manifest hubify would build it with (JSON, to stdout or FILE). Exit 0
 * when written, 2 for bad options or an invalid result (every problem listed), 3 when there is no
 * engine, no such image, or the --manifest file cannot be read.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { formatManifestWarnings } from '../../schemas/manifest.ts';
import { connectEngine } from '../engine/connect-engine.ts';
import { EXIT, HubifyError } from '../errors.ts';
import {
  manifestFromFacts,
  manifestInvalidError,
  parseAppOption,
  type AppOption,
} from '../inspect/generate-manifest.ts';
import { inspectImage } from '../inspect/inspect-image.ts';
import type { CliIo } from '../output.ts';

export interface ManifestGenerateOptions {
  image: string;
  /** Where to write the manifest (relative to `io.cwd`); stdout when absent. */
  out?: string;
  /** `--app NAME=COMMAND` options, in order. */
  apps: readonly string[];
  /** A manifest (YAML or JSON) whose apps replace or add to the detected ones and whose top-level fields are set. */
  manifest?: string;
}

async function readOverrides(file: string, io: CliIo): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    const missing = code === 'ENOENT' || code === 'ENOTDIR';
    throw new HubifyError({
      code: missing ? 'HUBIFY_MANIFEST_NOT_FOUND' : 'HUBIFY_MANIFEST_UNREADABLE',
      message: `cannot read the --manifest file ${file}: ${missing ? 'it does not exist' : (error as Error).message}`,
      hint: 'Check the path; it is resolved against the current directory.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  }
  try {
    return parseYaml(text.startsWith('\uFEFF') ? text.slice(1) : text, { uniqueKeys: true }) as unknown;
  } catch (error) {
    throw new HubifyError({
      code: 'HUBIFY_MANIFEST_SYNTAX',
      message: `the --manifest file ${file} is not valid YAML or JSON`,
      detail: error instanceof Error ? error.message : String(error),
      hint: 'Check the indentation, colons, quotes and brackets, or run "hubify manifest validate" on it.',
      exitCode: EXIT.USAGE,
      cause: error,
    });
  }
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

export async function runManifestGenerate(options: ManifestGenerateOptions, io: CliIo): Promise<number> {
  // Options first: a typo should not wait for the engine.
  const apps: AppOption[] = options.apps.map(parseAppOption);
  const overrides = options.manifest === undefined ? undefined : await readOverrides(options.manifest, io);

  const { docker } = await connectEngine(io.env);
  const facts = await inspectImage(docker, options.image);
  if (facts.unsupported.length > 0) {
    io.stderr(
      `hubify: warning: ${options.image} cannot be made hub-ready; the manifest is written anyway:\n` +
        facts.unsupported.map((reason) => `  - ${reason}\n`).join(''),
    );
  }
  const generated = manifestFromFacts(facts, {
    apps,
    overrides,
    ...(options.manifest === undefined ? {} : { overridesSource: options.manifest }),
  });
  for (const skipped of generated.skipped) io.stderr(`hubify: warning: detected app left out: ${skipped}\n`);
  if (generated.issues.length > 0) throw manifestInvalidError(generated, options.image);
  io.stderr(formatManifestWarnings(generated.warnings, `the manifest for ${options.image}`));

  const json = `${JSON.stringify(generated.manifest, null, 2)}\n`;
  if (options.out === undefined) {
    io.stdout(json);
    return EXIT.OK;
  }
  try {
    await writeFile(resolve(io.cwd, options.out), json);
  } catch (error) {
    throw new HubifyError({
      code: 'HUBIFY_USAGE',
      message: `cannot write the manifest to ${options.out}`,
      detail: error instanceof Error ? error.message : String(error),
      hint: 'Check that its directory exists and is writable.',
      exitCode: EXIT.USAGE,
      cause: error,
    });
  }
  const names = generated.manifest.apps.map((app) => app.name);
  const what = names.length === 0 ? 'no apps' : `${plural(names.length, 'app')}: ${names.join(', ')}`;
  const root = generated.manifest.defaultApp === undefined ? 'the launcher' : generated.manifest.defaultApp;
  io.stdout(`hubify: wrote ${options.out} (${what}; the server root opens ${root})\n`);
  return EXIT.OK;
}
