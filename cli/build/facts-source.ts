/**
 * Where `hubify build` gets an image's facts and its generated manifest: cli/inspect/ (detection and
 * manifest generation live there). Kept behind this small interface so the build can be tested with
 * facts made by hand, and so the build does not depend on how inspect is put together.
 */
import type Docker from 'dockerode';
import type { HubifyError } from '../errors.ts';
import type { ImageFacts } from '../image/image-facts.ts';
import type { GeneratedManifest } from '../inspect/generate-manifest.ts';
import type { ManifestGenerator } from './build-manifest.ts';

export interface FactsSource {
  /** What the image is (the engine must have it); `labels` mark the short-lived container. */
  inspectImage: (docker: Docker, reference: string, labels?: Record<string, string>) => Promise<ImageFacts>;
  manifestFromFacts: ManifestGenerator;
  manifestInvalidError: (generated: GeneratedManifest, reference: string) => HubifyError;
}

export async function defaultFactsSource(): Promise<FactsSource> {
  const [{ inspectImage }, { manifestFromFacts, manifestInvalidError }] = await Promise.all([
    import('../inspect/inspect-image.ts'),
    import('../inspect/generate-manifest.ts'),
  ]);
  return {
    inspectImage: (docker, reference, labels = {}) => inspectImage(docker, reference, { labels }),
    manifestFromFacts,
    manifestInvalidError,
  };
}
