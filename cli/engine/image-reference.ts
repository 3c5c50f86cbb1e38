/**
 * Image references as the Docker CLI reads them: `[registry[:port]/]path[:tag][@sha256:digest]`,
 * after distribution/reference's grammar. Used to check `--tag` and to find the registry whose
 * credentials a pull or push needs.
 */

export interface ImageReference {
  /** Registry host (with port), or null for Docker Hub. */
  registry: string | null;
  /** Path below the registry, e.g. library/debian, jupyter/base-notebook. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/;
const HOST =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::\d+)?$/;

/** Parses a reference, or returns why it is not one. */
export function parseImageReference(text: string): ImageReference | { error: string } {
  if (text === '' || text.length > 255) return { error: 'must be 1 to 255 characters' };
  let rest = text;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { error: `"${digest}" is not a digest (algorithm:hex)` };
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag))
      return {
        error: `"${tag}" is not a tag (letters, digits, _ . -, at most 128, not starting with . or -)`,
      };
  }
  const parts = rest.split('/');
  let registry: string | null = null;
  const first = parts[0] ?? '';
  if (
    parts.length > 1 &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || /[A-Z]/.test(first))
  ) {
    registry = first;
    parts.shift();
    if (!HOST.test(registry)) return { error: `"${registry}" is not a registry host[:port]` };
  }
  for (const part of parts) {
    if (!COMPONENT.test(part))
      return {
        error:
          part === ''
            ? 'has an empty path component'
            : `"${part}" must be lowercase letters and digits, separated by . _ __ or -`,
      };
  }
  return { registry, repository: parts.join('/'), tag, digest };
}

/** The reference text with `:latest` added when it names neither a tag nor a digest. */
export function withDefaultTag(text: string): string {
  const parsed = parseImageReference(text);
  if ('error' in parsed || parsed.tag !== null || parsed.digest !== null) return text;
  return `${text}:latest`;
}

/** The key of ~/.docker/config.json `auths` for the registry of a reference. */
export function registryAuthKey(reference: ImageReference): string {
  return reference.registry === null ||
    reference.registry === 'docker.io' ||
    reference.registry === 'index.docker.io'
    ? 'https://index.docker.io/v1/'
    : reference.registry;
}
