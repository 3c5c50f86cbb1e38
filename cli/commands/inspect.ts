/**
 * `hubify inspect IMAGE [--json]`: what hubify learns about a local image without running it (user,
 * libc, PATH, conda, the apps it would serve and why, traps and how the build handles them). Exit 0
 * when the image can be made hub-ready, 1 when it cannot (the reasons are listed), 3 when there is no
 * engine or no such image.
 */
import { connectEngine } from '../engine/connect-engine.ts';
import { EXIT } from '../errors.ts';
import { inspectImage } from '../inspect/inspect-image.ts';
import { formatFacts } from '../inspect/render.ts';
import type { CliIo } from '../output.ts';

export interface InspectOptions {
  image: string;
  json: boolean;
}

export async function runInspect(options: InspectOptions, io: CliIo): Promise<number> {
  const { docker } = await connectEngine(io.env);
  const facts = await inspectImage(docker, options.image);
  io.stdout(options.json ? `${JSON.stringify(facts, null, 2)}\n` : formatFacts(facts));
  if (facts.unsupported.length === 0) return EXIT.OK;
  if (!options.json)
    io.stderr(`hubify: ${options.image} cannot be made hub-ready (see "Unsupported" above)\n`);
  return EXIT.CHECK_FAILED;
}
