/**
 * Pushes a tag with a progress bar per layer. A refusal becomes HUBIFY_PUSH_DENIED, any other failure
 * (registry unreachable, ...) HUBIFY_PUSH_FAILED, both exit 3.
 */
import type Docker from 'dockerode';
import { EXIT } from '../errors.ts';
import { buildError } from '../build/error-codes.ts';
import { engineMessage, followEngineStream, type EngineEvent } from './engine-stream.ts';
import { parseImageReference } from './image-reference.ts';
import type { LayerProgress } from './layer-progress.ts';
import { isDenied } from './pull-image.ts';
import { registryAuth } from './registry-auth.ts';

export interface PushOptions {
  progress?: LayerProgress;
  env: Readonly<Record<string, string | undefined>>;
}

/** Pushes `tag` (repo:tag) and returns the registry's manifest digest when it says one. */
export async function pushImage(docker: Docker, tag: string, options: PushOptions): Promise<string | null> {
  const parsed = parseImageReference(tag);
  if ('error' in parsed) throw new Error(`pushImage: ${tag} ${parsed.error}`);
  const target = parsed.registry ?? 'Docker Hub';
  let events: EngineEvent[];
  try {
    const auth = (await registryAuth(parsed, options.env)) ?? {};
    const name = tag.slice(0, tag.length - (parsed.tag === null ? 0 : parsed.tag.length + 1));
    const stream = await docker.getImage(name).push({ tag: parsed.tag ?? 'latest', authconfig: auth });
    events = await followEngineStream(docker, stream, (event) => options.progress?.update(event));
  } catch (error) {
    const message = engineMessage(error);
    const denied = isDenied(message);
    throw buildError({
      code: denied ? 'HUBIFY_PUSH_DENIED' : 'HUBIFY_PUSH_FAILED',
      message: denied ? `${target} refused the push of ${tag}` : `cannot push ${tag} to ${target}`,
      detail: message,
      hint: denied
        ? `Log in with "docker login${parsed.registry === null ? '' : ` ${parsed.registry}`}" and check that you may write to this repository.`
        : 'Check that the registry is reachable from the engine, then push again (docker push works too: the image is built and tagged).',
      exitCode: EXIT.MISSING,
      cause: error,
    });
  }
  return events.find((event) => event.aux?.Digest !== undefined)?.aux?.Digest ?? null;
}
