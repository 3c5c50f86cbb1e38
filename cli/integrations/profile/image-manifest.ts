/**
 * The app manifest of a local image, for `hubify profile`: a hub-ready image carries it at
 * /opt/hubify/manifest.json (read through the engine's archive API, never by running the image); for
 * any other image it is what `hubify build` would write (detection, cli/inspect/). Either way it is
 * validated and normalised, so titles, descriptions and launcher settings have their defaults.
 */
import type Docker from 'dockerode';
import { checkManifestData, formatManifestIssues, parseManifestText } from '../../../schemas/manifest.ts';
import type { ManifestSpec } from '../../../proxy/app-spec.ts';
import { ImageFiles } from '../../engine/image-files.ts';
import { EXIT, HubifyError } from '../../errors.ts';
import { manifestFromFacts, manifestInvalidError } from '../../inspect/generate-manifest.ts';
import { inspectImage } from '../../inspect/inspect-image.ts';
import { LAYOUT } from '../../layer/layout.ts';

export interface ImageManifest {
  manifest: ManifestSpec;
  /** Where the apps came from, for people: "/opt/hubify/manifest.json in IMAGE" or "detection". */
  source: string;
  /** The image id (sha256:...). */
  id: string;
  /** repo@sha256:... when the image came from (or went to) a registry, else null. */
  repoDigest: string | null;
}

function invalid(reference: string, listing: string): HubifyError {
  return new HubifyError({
    code: 'HUBIFY_MANIFEST_INVALID',
    message: `the manifest in ${reference} (${LAYOUT.manifest}) is invalid`,
    detail: listing.trimEnd(),
    hint: 'Rebuild the image with a valid manifest (check it with "hubify manifest validate FILE").',
    exitCode: EXIT.USAGE,
  });
}

export async function imageManifest(
  docker: Docker,
  reference: string,
  labels: Record<string, string> = {},
): Promise<ImageManifest> {
  // inspectImage says "no such image" the way every other command does, and gives the facts for detection.
  const facts = await inspectImage(docker, reference, { labels });
  const info = await docker.getImage(facts.id).inspect();
  const repoDigest = info.RepoDigests?.[0] ?? null;
  const files = await ImageFiles.open(docker, facts.id, labels);
  let text: string | null;
  try {
    text = (await files.readFile(LAYOUT.manifest))?.content.toString('utf8') ?? null;
  } finally {
    await files.close();
  }
  if (text !== null) {
    const source = `${LAYOUT.manifest} in ${reference}`;
    const result = parseManifestText(text, source);
    if (!result.ok) throw invalid(reference, formatManifestIssues(result.issues, source));
    return { manifest: result.manifest, source, id: facts.id, repoDigest };
  }
  if (facts.unsupported.length > 0) {
    throw new HubifyError({
      code: 'HUBIFY_IMAGE_UNSUPPORTED',
      message: `${reference} cannot be made hub-ready, so it cannot be offered as a profile`,
      detail: facts.unsupported.map((reason) => `- ${reason}`).join('\n'),
      hint: 'Run "hubify inspect" on it for everything hubify found.',
      exitCode: EXIT.CHECK_FAILED,
    });
  }
  const generated = manifestFromFacts(facts);
  if (generated.issues.length > 0) throw manifestInvalidError(generated, reference);
  const checked = checkManifestData(generated.manifest, reference);
  if (!checked.ok) throw manifestInvalidError(generated, reference);
  return {
    manifest: checked.manifest,
    source: `detection (${reference} is not hub-ready yet: run "hubify build" on it and use the result's name)`,
    id: facts.id,
    repoDigest,
  };
}
