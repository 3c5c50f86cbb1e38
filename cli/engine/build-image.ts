/**
 * Builds an image through the Engine API from a build-context tar stream (classic builder, no pull:
 * FROM names a local image), tags it, and maps failures: no space left → HUBIFY_DISK_FULL (exit 3),
 * anything else the engine reports → HUBIFY_BUILD_FAILED (exit 1) with its message and last lines.
 */
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { EXIT } from '../errors.ts';
import { buildError, isDiskFull } from '../build/error-codes.ts';
import { engineMessage, followEngineStream } from './engine-stream.ts';
import { inspectLocalImage } from './pull-image.ts';

export interface BuildFromContextOptions {
  tag: string;
  /** Build without the engine's cache (every step runs again). */
  noCache?: boolean;
  /** Each line of build output ("Step 2/12 : ADD layer.tar /"). */
  onLine?: (line: string) => void;
}

export interface BuiltImage {
  id: string;
  inspect: Docker.ImageInspectInfo;
}

export async function buildFromContext(
  docker: Docker,
  context: Readable,
  options: BuildFromContextOptions,
): Promise<BuiltImage> {
  const output: string[] = [];
  try {
    const stream = await docker.buildImage(context, {
      t: options.tag,
      pull: false,
      nocache: options.noCache ?? false,
      rm: true,
      forcerm: true,
      networkmode: 'none',
    });
    await followEngineStream(docker, stream, (event) => {
      for (const line of (event.stream ?? '').split('\n')) {
        const text = line.trimEnd();
        if (text === '') continue;
        output.push(text);
        options.onLine?.(text);
      }
    });
  } catch (error) {
    const message = engineMessage(error);
    if (isDiskFull(message)) {
      throw buildError({
        code: 'HUBIFY_DISK_FULL',
        message: 'the engine ran out of disk space while building the image',
        detail: message,
        hint: 'Free space in the engine\'s storage ("docker system df", "docker image prune"), then run again.',
        exitCode: EXIT.MISSING,
        cause: error,
      });
    }
    throw buildError({
      code: 'HUBIFY_BUILD_FAILED',
      message: `the engine could not build ${options.tag}`,
      detail: [message, ...output.slice(-6)].join('\n'),
      hint: "Run again with --debug for the whole build output; if the message names hubify's Dockerfile, please report it.",
      exitCode: EXIT.CHECK_FAILED,
      cause: error,
    });
  }
  const inspect = await inspectLocalImage(docker, options.tag);
  if (inspect === undefined)
    throw new Error(`the build of ${options.tag} ended but the engine has no such image`);
  return { id: inspect.Id, inspect };
}
