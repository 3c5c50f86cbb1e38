/**
 * `inspectImage(docker, reference)`: what hubify learns about a local image without running it. Reads
 * the image config, creates (never starts) a container with ENTRYPOINT /nonexistent (so nothing of
 * the image could run even if it were started), reads its filesystem through the archive API, and
 * always removes the container (and any anonymous volumes its VOLUMEs made).
 */
import type Dockerode from 'dockerode';
import { buildError } from '../build/error-codes.ts';
import { engineMessage } from '../engine/engine-stream.ts';
import { inspectLocalImage } from '../engine/pull-image.ts';
import { EXIT } from '../errors.ts';
import type { ImageFacts } from '../image/image-facts.ts';
import { detectImageFacts, imageInputFromInspect } from './detect.ts';
import { EngineImageFs } from './image-fs.ts';

/** Label on every container `inspectImage` creates. */
export const INSPECT_LABEL = 'org.hubify.inspect';

export interface InspectImageOptions {
  /** More labels for the container (tests add their run id). */
  labels?: Record<string, string>;
  /** Receives how long it took and how many engine requests the filesystem reads needed. */
  onStats?: (stats: InspectStats) => void;
}

export interface InspectStats {
  milliseconds: number;
  /** Archive requests (stats and reads) made for the filesystem. */
  fsCalls: number;
}

/**
 * Inspects a local image (never pulls). Throws HubifyError HUBIFY_IMAGE_NOT_FOUND (exit 3) when the
 * engine has no such image. A filesystem that cannot be read becomes an `unsupported` reason.
 */
export async function inspectImage(
  docker: Dockerode,
  reference: string,
  options: InspectImageOptions = {},
): Promise<ImageFacts> {
  const started = Date.now();
  const info = await inspectLocalImage(docker, reference);
  if (info === undefined) {
    throw buildError({
      code: 'HUBIFY_IMAGE_NOT_FOUND',
      message: `the engine has no image ${reference}`,
      detail: 'hubify inspect and hubify manifest generate read local images only; they never pull.',
      hint: `Pull or build it first (docker pull ${reference}), or check the name with "docker images".`,
      exitCode: EXIT.MISSING,
    });
  }
  const input = imageInputFromInspect(reference, info);

  let container: Dockerode.Container;
  try {
    container = await docker.createContainer({
      Image: info.Id,
      Entrypoint: ['/nonexistent'],
      Cmd: [],
      Labels: { ...options.labels, [INSPECT_LABEL]: '1' },
      NetworkDisabled: true,
      HostConfig: { NetworkMode: 'none', AutoRemove: false },
    });
  } catch (error) {
    return detectImageFacts(
      input,
      null,
      `the engine cannot create a container from it: ${engineMessage(error)}`,
    );
  }
  const fs = new EngineImageFs(container);
  try {
    return await detectImageFacts(input, fs);
  } finally {
    await container.remove({ force: true, v: true }).catch(() => {});
    options.onStats?.({ milliseconds: Date.now() - started, fsCalls: fs.calls });
  }
}
