/**
 * Before anything starts: does the image have a hub runtime? hubify's (/opt/hubify, whose
 * manifest.json lists the apps; in an image built with the hubify buildpack, the manifest named by the
 * image label `org.hubify.manifest`) or a real `jupyterhub-singleuser` on the image's PATH. Read
 * through the engine's archive API on a created, never-started container.
 */
import type Docker from 'dockerode';
import { ImageFiles } from '../engine/image-files.ts';
import { EXIT, HubifyError } from '../errors.ts';
import type { ManifestApp } from './checks/context.ts';

export interface ImageRuntime {
  hasHubify: boolean;
  /** Where `jupyterhub-singleuser` was found on the image's PATH, or null. */
  singleuser: string | null;
  apps: ManifestApp[];
}

export function pathDirs(env: readonly string[] | undefined): string[] {
  const path = (env ?? []).find((entry) => entry.startsWith('PATH='))?.slice('PATH='.length);
  return (path ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')
    .split(':')
    .filter((d) => d !== '');
}

export function parseManifestApps(text: string): ManifestApp[] {
  const parsed = JSON.parse(text) as { apps?: unknown };
  if (!Array.isArray(parsed.apps)) return [];
  return parsed.apps.filter(
    (app): app is ManifestApp =>
      typeof app === 'object' && app !== null && typeof (app as ManifestApp).name === 'string',
  );
}

/** The label the hubify buildpack sets to the path of the manifest in its launch layer. */
export const MANIFEST_LABEL = 'org.hubify.manifest';

export async function detectRuntime(
  docker: Docker,
  image: string,
  env: readonly string[] | undefined,
  labels: Record<string, string>,
  imageLabels: Readonly<Record<string, string>> = {},
): Promise<ImageRuntime> {
  const files = await ImageFiles.open(docker, image, labels);
  try {
    const labelled = imageLabels[MANIFEST_LABEL];
    const hubifyDir = await files.stat(labelled ?? '/opt/hubify');
    const manifest =
      hubifyDir === null
        ? null
        : await files.readFile(labelled ?? '/opt/hubify/manifest.json').catch(() => null);
    let singleuser: string | null = null;
    for (const dir of pathDirs(env)) {
      const candidate = `${dir.replace(/\/$/, '')}/jupyterhub-singleuser`;
      if ((await files.stat(candidate)) !== null) {
        singleuser = candidate;
        break;
      }
    }
    if (hubifyDir === null && singleuser === null) {
      throw new HubifyError({
        code: 'HUBIFY_NO_HUB_RUNTIME',
        message: `no hub runtime in this image: ${image}`,
        detail: `no /opt/hubify and no jupyterhub-singleuser on its PATH (${pathDirs(env).join(':')})`,
        hint: `Make it hub-ready first: hubify build ${image} --tag <name>`,
        exitCode: EXIT.CHECK_FAILED,
      });
    }
    return {
      hasHubify: hubifyDir !== null,
      singleuser,
      apps: manifest === null ? [] : parseManifestApps(manifest.content.toString('utf8')),
    };
  } finally {
    await files.close();
  }
}
