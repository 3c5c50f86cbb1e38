/**
 * What `hubify inspect` learns about an image without running it (its config and files, read through
 * the engine), and what `hubify build` decides from it. Produced by cli/inspect/, consumed by
 * cli/build/ and printed by `hubify inspect`. Every finding carries the evidence it rests on.
 */

export interface ImageUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export type AppTemplateName =
  | 'rstudio'
  | 'jupyterlab'
  | 'notebook'
  | 'jupyter-server'
  | 'code-server'
  | 'shiny-app'
  | 'shiny-server'
  | 'desktop';

export interface DetectedApp {
  /** The template in templates/apps/<template>.json this app is made from. */
  template: AppTemplateName;
  /** App name (URL segment), unique in the image. */
  name: string;
  /** Why hubify believes the app is there, e.g. "/usr/lib/rstudio-server/bin/rserver exists". */
  evidence: string;
  /** Values the template needs (e.g. `executable`, `appDir`, `condaPrefix`). */
  values: Record<string, string>;
}

export interface ImageFacts {
  /** As the user named it, e.g. rocker/rstudio:4.4. */
  reference: string;
  /** Image id (sha256:...). */
  id: string;
  os: string;
  architecture: string;
  config: {
    entrypoint: string[] | null;
    cmd: string[] | null;
    /** USER as written in the image ("" = root). */
    user: string;
    workdir: string;
    env: Record<string, string>;
    labels: Record<string, string>;
  };
  libc: { kind: 'glibc' | 'musl' | 'unknown'; version: string | null; evidence: string };
  users: ImageUser[];
  /** The user the image runs as by default (USER, else root). */
  defaultUser: ImageUser;
  /** The first user with uid >= 1000 (the one hubify runs apps as), or null when there is none. */
  nonRootUser: ImageUser | null;
  path: string[];
  /** Prefixes holding `conda-meta/` (e.g. /opt/conda, /opt/conda/envs/r). */
  condaPrefixes: string[];
  /** `jupyterhub-singleuser` on PATH (docker-stacks style images), or null. */
  jupyterhubSingleuser: string | null;
  hasShell: boolean;
  apps: DetectedApp[];
  /** Reasons this image cannot be made hub-ready (musl, unsupported architecture, ...); empty when it can. */
  unsupported: string[];
  /** Traps found and how the build handles them (Rocker /init, root-owned RStudio keys, ...). */
  notes: string[];
}
