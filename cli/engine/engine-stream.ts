/**
 * The JSON-lines progress streams of the Engine API (pull, push, build): read to the end, each event
 * handed to a callback, and an event carrying an error turned into a rejection with its message.
 */
import type Docker from 'dockerode';

export interface EngineEvent {
  /** Build output ("Step 2/9 : ADD layer.tar /"). */
  stream?: string;
  /** Pull/push status ("Downloading", "Pull complete"). */
  status?: string;
  /** Layer or tag the status is about. */
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string; code?: number };
  aux?: { ID?: string; Tag?: string; Digest?: string; Size?: number };
}

/** An error event of an engine stream: the engine's own message. */
export class EngineStreamError extends Error {
  override readonly name = 'EngineStreamError';
}

export function followEngineStream(
  docker: Docker,
  stream: NodeJS.ReadableStream,
  onEvent: (event: EngineEvent) => void = () => {},
): Promise<EngineEvent[]> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (error: Error | null, output: EngineEvent[]) => {
        if (error) {
          reject(error);
          return;
        }
        const failed = output.find((event) => event.error !== undefined || event.errorDetail !== undefined);
        if (failed)
          reject(
            new EngineStreamError(
              failed.errorDetail?.message ?? failed.error ?? 'the engine reported an error',
            ),
          );
        else resolve(output);
      },
      onEvent,
    );
  });
}

/** The HTTP status of a dockerode error, if it has one. */
export function statusCode(error: unknown): number | undefined {
  const code = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof code === 'number' ? code : undefined;
}

/** The engine's message of a dockerode error ("(HTTP code 404) no such image - ..."), else the error's message. */
export function engineMessage(error: unknown): string {
  const json = (error as { json?: unknown } | null)?.json;
  if (
    typeof json === 'object' &&
    json !== null &&
    typeof (json as { message?: unknown }).message === 'string'
  )
    return (json as { message: string }).message.trim();
  const message = error instanceof Error ? error.message : String(error);
  // dockerode prefixes the engine's text with its own: "(HTTP code 500) server error - ".
  return message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
}
