/**
 * Makes sure the engine has an image: uses it when present, else pulls it with a progress bar per
 * layer. A failed pull becomes HUBIFY_PULL_DENIED (the registry refused: log in) or
 * HUBIFY_IMAGE_NOT_FOUND (no such image, or no registry reachable), exit 3, saying what was tried.
 */
import type Docker from 'dockerode';
import { EXIT } from '../errors.ts';
import { buildError } from '../build/error-codes.ts';
import { engineMessage, followEngineStream, statusCode } from './engine-stream.ts';
import { parseImageReference, withDefaultTag } from './image-reference.ts';
import type { LayerProgress } from './layer-progress.ts';
import { registryAuth } from './registry-auth.ts';

export interface EnsureImageOptions {
  /** os/arch to pull, e.g. linux/arm64; the engine's own when absent. */
  platform?: string;
  progress?: LayerProgress;
  /** A line before the pull starts ("pulling debian:bookworm"). */
  onLine?: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

export interface EnsuredImage {
  inspect: Docker.ImageInspectInfo;
  pulled: boolean;
}

/** Whether a registry's refusal reads as "you may not" rather than "there is no such thing". */
export function isDenied(message: string): boolean {
  if (/repository does not exist|not found|manifest unknown|no such host/i.test(message)) return false;
  return /unauthorized|authentication required|denied|forbidden|insufficient_scope|no basic auth credentials/i.test(
    message,
  );
}

export async function inspectLocalImage(
  docker: Docker,
  ref: string,
): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await docker.getImage(ref).inspect();
  } catch (error) {
    if (statusCode(error) === 404) return undefined;
    throw error;
  }
}

export async function ensureImage(
  docker: Docker,
  ref: string,
  options: EnsureImageOptions,
): Promise<EnsuredImage> {
  const local = await inspectLocalImage(docker, ref);
  if (local !== undefined) return { inspect: local, pulled: false };

  const parsed = parseImageReference(ref);
  if ('error' in parsed) {
    throw buildError({
      code: 'HUBIFY_IMAGE_NOT_FOUND',
      message: `the engine has no image ${ref}, and it is not a reference that can be pulled`,
      detail: `${ref} ${parsed.error}`,
      hint: 'Check the name with "docker images", or give a reference such as debian:bookworm.',
      exitCode: EXIT.MISSING,
    });
  }
  const full = parsed.digest === null ? withDefaultTag(ref) : ref;
  options.onLine?.(
    `${ref} is not in the engine: pulling ${full}${options.platform ? ` (${options.platform})` : ''}`,
  );
  const tried = [`local images of the engine: no ${ref}`];
  try {
    const auth = await registryAuth(parsed, options.env);
    const pullOptions: Record<string, string> = options.platform ? { platform: options.platform } : {};
    const stream = await docker.pull(full, { ...pullOptions, ...(auth ? { authconfig: auth } : {}) });
    await followEngineStream(docker, stream, (event) => options.progress?.update(event));
  } catch (error) {
    const message = engineMessage(error);
    tried.push(`pull ${full} from ${parsed.registry ?? 'Docker Hub'}: ${message}`);
    if (isDenied(message)) {
      throw buildError({
        code: 'HUBIFY_PULL_DENIED',
        message: `the registry refused to let the engine pull ${full}`,
        detail: tried.join('\n'),
        hint: `Log in with "docker login${parsed.registry === null ? '' : ` ${parsed.registry}`}" (or check the name), then run again.`,
        exitCode: EXIT.MISSING,
        cause: error,
      });
    }
    throw buildError({
      code: 'HUBIFY_IMAGE_NOT_FOUND',
      message: `cannot find the image ${ref}`,
      detail: tried.join('\n'),
      hint: 'Check the name and tag ("docker images" lists local ones); if the registry is unreachable, load or build the image locally first.',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  }
  const pulled = await inspectLocalImage(docker, full);
  if (pulled === undefined) throw new Error(`the pull of ${full} ended but the engine has no such image`);
  return { inspect: pulled, pulled: true };
}
