/**
 * The build context sent to the engine: the rendered Dockerfile and the layer tar, as a tar stream
 * with fixed owners and mtimes (the classic builder's cache key for ADD covers them), the layer
 * streamed from disk rather than held in memory.
 */
import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable } from 'node:stream';
import tar from 'tar-stream';

export const LAYER_TAR_NAME = 'hubify-layer.tar';

export interface ContextInputs {
  dockerfile: string;
  layerFile: string;
  layerSize: number;
  /** mtime of both entries, seconds. */
  mtime: number;
}

export function buildContext(inputs: ContextInputs): Readable {
  const pack = tar.pack();
  const common = { uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(inputs.mtime * 1000), mode: 0o644 };
  void (async () => {
    const dockerfile = Buffer.from(inputs.dockerfile);
    pack.entry({ ...common, name: 'Dockerfile', size: dockerfile.length }, dockerfile);
    const sink = pack.entry({ ...common, name: LAYER_TAR_NAME, size: inputs.layerSize });
    sink.on('error', () => {}); // reported through the pack, which is destroyed below
    for await (const chunk of createReadStream(inputs.layerFile)) {
      if (!sink.write(chunk as Buffer)) await once(sink, 'drain');
    }
    sink.end(Buffer.alloc(0));
    pack.finalize();
  })().catch((error: unknown) => pack.destroy(error instanceof Error ? error : new Error(String(error))));
  return pack as unknown as Readable;
}
