/**
 * Registry credentials for a pull or push, found the way the docker CLI finds them: the
 * `credHelpers` entry for the registry, else `credsStore`, through `docker-credential-<name> get`; else
 * an `auths` entry of $DOCKER_CONFIG/config.json (default ~/.docker/config.json). No credentials is
 * not an error: the engine then asks anonymously, and a refusal becomes HUBIFY_PULL_DENIED/PUSH_DENIED.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { runTool, type ToolRunner } from '../layer/run-tool.ts';
import { registryAuthKey, type ImageReference } from './image-reference.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** What the Engine API takes in X-Registry-Auth. */
export interface RegistryAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export async function registryAuth(
  reference: ImageReference,
  env: Env,
  runner: ToolRunner = runTool,
): Promise<RegistryAuth | undefined> {
  const dir = env.DOCKER_CONFIG ?? join(env.HOME ?? homedir(), '.docker');
  let config: DockerConfig;
  try {
    config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as DockerConfig;
  } catch {
    return undefined;
  }
  const key = registryAuthKey(reference);
  const helper = config.credHelpers?.[key] ?? config.credsStore;
  if (helper !== undefined && helper !== '') {
    const result = await runner(`docker-credential-${helper}`, ['get'], { input: key, timeoutMs: 30_000 });
    if (result.code === 0) {
      try {
        const parsed = JSON.parse(result.stdout) as { Username?: string; Secret?: string };
        if (parsed.Username === '<token>') return { identitytoken: parsed.Secret, serveraddress: key };
        return { username: parsed.Username, password: parsed.Secret, serveraddress: key };
      } catch {
        // fall through to auths
      }
    }
  }
  const entry =
    config.auths?.[key] ??
    Object.entries(config.auths ?? {}).find(
      ([name]) => name.replace(/^https?:\/\//, '').split('/')[0] === key,
    )?.[1];
  if (entry === undefined) return undefined;
  if (entry.identitytoken !== undefined) return { identitytoken: entry.identitytoken, serveraddress: key };
  if (entry.auth === undefined) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: key };
}
