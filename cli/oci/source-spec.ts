/**
 * The image `hubify build` starts from, as written on the command line: `oci:DIR[:REF]` (an OCI
 * layout), `docker-archive:FILE` (a `docker save` archive), `docker://REF` or a plain reference (an
 * image in a registry, or with an engine, in the engine).
 */
import { parseImageReference, type ImageReference } from '../engine/image-reference.ts';
import { readDockerArchive } from './docker-archive.ts';
import type { SourceImage } from './image-source.ts';
import { readLayout } from './oci-layout.ts';
import { readRegistryImage, type RegistryClients } from './registry-image.ts';

export type SourceSpec =
  | { kind: 'registry'; reference: ImageReference; text: string; explicit: boolean }
  | { kind: 'oci'; spec: string }
  | { kind: 'docker-archive'; file: string };

export function parseSource(text: string): SourceSpec | { error: string } {
  if (text.startsWith('oci:'))
    return text.length > 4 ? { kind: 'oci', spec: text.slice(4) } : { error: 'oci: needs a directory' };
  if (text.startsWith('docker-archive:'))
    return text.length > 15
      ? { kind: 'docker-archive', file: text.slice(15) }
      : { error: 'docker-archive: needs a file' };
  const explicit = text.startsWith('docker://');
  const name = explicit ? text.slice('docker://'.length) : text;
  const reference = parseImageReference(name);
  if ('error' in reference) return { error: `${name} is not an image reference: ${reference.error}` };
  return { kind: 'registry', reference, text: name, explicit };
}

/** True when only the daemonless build can read it (a layout, an archive, or `docker://`). */
export function needsDaemonless(spec: SourceSpec): boolean {
  return spec.kind !== 'registry' || spec.explicit;
}

export function openSource(
  spec: SourceSpec,
  options: { clients: RegistryClients; cacheDir: string; workDir: string },
): Promise<SourceImage> {
  if (spec.kind === 'oci') return readLayout(spec.spec, `oci:${spec.spec}`);
  if (spec.kind === 'docker-archive')
    return readDockerArchive(spec.file, options.workDir, `docker-archive:${spec.file}`);
  return readRegistryImage(spec.reference, spec.text, options.clients, options.cacheDir);
}
