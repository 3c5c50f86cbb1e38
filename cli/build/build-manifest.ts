/**
 * The manifest that goes into the image (/opt/hubify/manifest.json): generated from the image's facts
 * by `manifestFromFacts` (cli/inspect/), with the user's `--manifest FILE` and `--app NAME=COMMAND`
 * as its overrides. A missing or unreadable file is exit 3, a file that is not YAML or a manifest with
 * problems exit 2 (HUBIFY_MANIFEST_SYNTAX / HUBIFY_MANIFEST_INVALID).
 */
import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import type { Manifest, ManifestWarning } from '../../schemas/manifest.ts';
import { EXIT, HubifyError } from '../errors.ts';
import type { ImageFacts } from '../image/image-facts.ts';
import type { GeneratedManifest, ManifestFromFactsOptions } from '../inspect/generate-manifest.ts';

export interface ManifestOverrides {
  /** A manifest file given with --manifest (absolute path), or null. */
  manifestFile: string | null;
  /** --app NAME=COMMAND values. */
  apps: readonly string[];
}

export type ManifestGenerator = (facts: ImageFacts, options: ManifestFromFactsOptions) => GeneratedManifest;

export interface ImageManifest {
  manifest: Manifest;
  /** The bytes of /opt/hubify/manifest.json. */
  json: Buffer;
  warnings: ManifestWarning[];
  /** Detected apps left out, with why. */
  skipped: string[];
}

/** Reads the --manifest file as data (YAML or JSON); validation happens on the merged manifest. */
export async function readManifestOverrides(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new HubifyError({
      code: missing ? 'HUBIFY_MANIFEST_NOT_FOUND' : 'HUBIFY_MANIFEST_UNREADABLE',
      message: `cannot read the manifest ${file}: ${missing ? 'it does not exist' : (error as Error).message}`,
      hint: missing
        ? 'Check the path; a manifest is usually hubify.yaml next to your Dockerfile.'
        : 'Make sure the path is a readable file.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  }
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { uniqueKeys: true });
  const problem = doc.errors[0];
  if (problem !== undefined) {
    throw new HubifyError({
      code: 'HUBIFY_MANIFEST_SYNTAX',
      message: `the manifest ${file} is not valid YAML or JSON`,
      detail: problem.message,
      hint: 'Run "hubify manifest validate" on it for the exact place.',
      exitCode: EXIT.USAGE,
    });
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

/** The manifest for the image; throws HUBIFY_MANIFEST_INVALID (exit 2) listing every problem. */
export async function imageManifest(
  facts: ImageFacts,
  overrides: ManifestOverrides,
  generate: ManifestGenerator,
  invalidError: (generated: GeneratedManifest, reference: string) => HubifyError,
): Promise<ImageManifest> {
  const options: ManifestFromFactsOptions = { apps: overrides.apps };
  if (overrides.manifestFile !== null) {
    options.overrides = await readManifestOverrides(overrides.manifestFile);
    options.overridesSource = overrides.manifestFile;
  }
  const generated = generate(facts, options);
  if (generated.issues.length > 0) throw invalidError(generated, facts.reference);
  return {
    manifest: generated.manifest,
    json: Buffer.from(`${JSON.stringify(generated.manifest, null, 2)}\n`),
    warnings: generated.warnings,
    skipped: generated.skipped,
  };
}
