/**
 * `hubify profile IMAGE [--display-name TEXT] [--image-ref REF] [--default] [--json]`: prints a
 * KubeSpawner `profile_list` entry (YAML, the shape of one item of Zero to JupyterHub's
 * `singleuser.profileList`) for a local image: its apps from the image's manifest (or detection for
 * an image that is not hub-ready yet), one choice per app setting `default_url`. Exit 0 printed; 1 the
 * image cannot be made hub-ready; 2 bad usage or an invalid manifest; 3 no engine or no such image.
 */
import { connectEngine, type Engine } from '../engine/connect-engine.ts';
import type { CliIo } from '../output.ts';
import { imageManifest } from '../integrations/profile/image-manifest.ts';
import { profileEntry, profileYaml } from '../integrations/profile/profile-entry.ts';

export interface ProfileOptions {
  image: string;
  displayName: string | null;
  /** What the spawner pulls; default: the registry digest when the image has one, else IMAGE. */
  imageRef: string | null;
  isDefault: boolean;
  json: boolean;
}

export interface ProfileDependencies {
  connect?: (env: CliIo['env']) => Promise<Engine>;
  containerLabels?: Record<string, string>;
}

export async function runProfile(
  options: ProfileOptions,
  io: CliIo,
  deps: ProfileDependencies = {},
): Promise<number> {
  const engine = await (deps.connect ?? connectEngine)(io.env);
  const found = await imageManifest(engine.docker, options.image, deps.containerLabels);
  const image = options.imageRef ?? found.repoDigest ?? options.image;
  if (found.repoDigest === null && options.imageRef === null)
    io.stderr(
      `hubify: note: ${options.image} has no registry digest (it was never pushed or pulled): the profile names it by tag. Push it and run again to pin the digest.\n`,
    );
  const entry = profileEntry({
    image,
    displayName: options.displayName ?? options.image,
    manifest: found.manifest,
    isDefault: options.isDefault,
  });
  io.stdout(options.json ? `${JSON.stringify(entry, null, 2)}\n` : profileYaml(entry, found.source));
  return 0;
}
