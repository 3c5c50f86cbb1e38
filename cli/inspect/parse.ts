/**
 * Pure parsers for what `hubify inspect` reads from an image: passwd/group, the USER instruction,
 * ENV, ldd's version text, os-release, conda-meta file names, Python console scripts, shiny-server's
 * config. No I/O here, so each is unit-tested with in-memory text.
 */
import { RESERVED_APP_NAMES } from '../../proxy/app-spec.ts';
import type { ImageUser } from '../image/image-facts.ts';

/** The PATH a container gets when the image sets none (the engine's default). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The lowest uid of a regular (login) user, as in Debian's and Red Hat's login.defs. */
export const FIRST_REGULAR_UID = 1000;
/** uids from here on are not regular users (nobody is 65534; 60000+ is reserved on Debian). */
export const LAST_REGULAR_UID = 59999;

/** `/etc/passwd` lines `name:password:uid:gid:gecos:home:shell`; malformed lines are skipped. */
export function parsePasswd(text: string): ImageUser[] {
  const users: ImageUser[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(':');
    if (fields.length < 7) continue;
    const [name, , uidText, gidText, , home, shell] = fields;
    if (!name || !/^\d+$/.test(uidText ?? '') || !/^\d+$/.test(gidText ?? '')) continue;
    users.push({ name, uid: Number(uidText), gid: Number(gidText), home: home ?? '', shell: shell ?? '' });
  }
  return users;
}

export interface ImageGroup {
  name: string;
  gid: number;
  members: string[];
}

/** `/etc/group` lines `name:password:gid:member,member`. */
export function parseGroup(text: string): ImageGroup[] {
  const groups: ImageGroup[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [name, , gidText, members] = line.split(':');
    if (!name || !/^\d+$/.test(gidText ?? '')) continue;
    groups.push({ name, gid: Number(gidText), members: (members ?? '').split(',').filter((m) => m !== '') });
  }
  return groups;
}

/** The parts of a USER instruction: `""`, `name`, `uid`, `name:group`, `uid:gid`. */
export function parseUserSpec(spec: string): { user: string; group: string | null } {
  const trimmed = spec.trim();
  const colon = trimmed.indexOf(':');
  if (colon < 0) return { user: trimmed, group: null };
  return { user: trimmed.slice(0, colon), group: trimmed.slice(colon + 1) || null };
}

export interface ResolvedUser {
  user: ImageUser;
  /** Why the USER does not match the image's passwd/group files, or null when it does. */
  problem: string | null;
}

/**
 * The user a container of the image runs as, as the engine decides it: USER empty means root; a name
 * must be in /etc/passwd; a uid need not be (then home is / and the group 0, as the engine does). An
 * unknown name gets uid and gid -1 and a problem (the engine refuses to start such a container).
 */
export function resolveUser(
  spec: string,
  users: readonly ImageUser[],
  groups: readonly ImageGroup[],
): ResolvedUser {
  const { user, group } = parseUserSpec(spec);
  let found: ImageUser | undefined;
  let problem: string | null = null;
  let resolved: ImageUser;
  if (user === '' || user === 'root' || user === '0') {
    found = users.find((entry) => entry.uid === 0);
    resolved = found ?? { name: 'root', uid: 0, gid: 0, home: '/root', shell: '/bin/sh' };
  } else if (/^\d+$/.test(user)) {
    found = users.find((entry) => entry.uid === Number(user));
    resolved = found ?? { name: user, uid: Number(user), gid: 0, home: '/', shell: '' };
    if (found === undefined) {
      problem = `USER ${spec} names uid ${user}, which has no /etc/passwd entry (no name; HOME is /)`;
    }
  } else {
    found = users.find((entry) => entry.name === user);
    resolved = found ?? { name: user, uid: -1, gid: -1, home: '/', shell: '' };
    if (found === undefined) {
      problem = `USER ${spec} names "${user}", which is not in /etc/passwd: the image cannot start as it is`;
    }
  }
  if (group !== null) {
    if (/^\d+$/.test(group)) {
      resolved = { ...resolved, gid: Number(group) };
    } else {
      const entry = groups.find((candidate) => candidate.name === group);
      if (entry === undefined) {
        problem ??= `USER ${spec} names the group "${group}", which is not in /etc/group`;
      } else {
        resolved = { ...resolved, gid: entry.gid };
      }
    }
  }
  return { user: resolved, problem };
}

function isRegular(user: ImageUser): boolean {
  return user.uid >= FIRST_REGULAR_UID && user.uid <= LAST_REGULAR_UID;
}

/**
 * The regular (uid 1000 to 59999) user that apps will run as: the default user when it is one; else
 * the one named by NB_USER or DEFAULT_USER (docker-stacks, Rocker); else the lowest such uid.
 */
export function pickNonRootUser(
  users: readonly ImageUser[],
  defaultUser: ImageUser,
  env: Readonly<Record<string, string>>,
): ImageUser | null {
  const listed = (user: ImageUser): boolean =>
    users.some((entry) => entry.name === user.name && entry.uid === user.uid);
  if (isRegular(defaultUser) && listed(defaultUser)) return defaultUser;
  for (const variable of ['NB_USER', 'DEFAULT_USER']) {
    const named = users.find((entry) => entry.name === env[variable] && isRegular(entry));
    if (named !== undefined) return named;
  }
  const regular = users.filter(isRegular);
  regular.sort((a, b) => a.uid - b.uid);
  return regular[0] ?? null;
}

/** `["NAME=value", ...]` as the engine reports ENV, to a map (later entries win). */
export function parseEnv(list: readonly string[] | null | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.indexOf('=');
    if (eq <= 0) continue;
    env[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return env;
}

/** PATH split into absolute directories, empty and relative entries dropped, duplicates removed. */
export function splitPath(path: string | undefined): string[] {
  const dirs: string[] = [];
  for (const entry of (path ?? DEFAULT_PATH).split(':')) {
    const dir = entry.length > 1 ? entry.replace(/\/+$/, '') : entry;
    if (dir.startsWith('/') && !dirs.includes(dir)) dirs.push(dir);
  }
  return dirs;
}

/** The glibc version in the text of `ldd` (a shell script that echoes `ldd (GNU libc) 2.36`). */
export function parseLddVersion(text: string): string | null {
  const match = /ldd \([^)]*\) (\d+\.\d+(?:\.\d+)?)/.exec(text);
  return match?.[1] ?? null;
}

/** The version in an old-style glibc file name (`libc-2.31.so`, the target of libc.so.6 before 2.34). */
export function glibcVersionFromFileName(path: string): string | null {
  const match = /(?:^|\/)libc-(\d+\.\d+(?:\.\d+)?)\.so$/.exec(path);
  return match?.[1] ?? null;
}

/** The version in the banner glibc carries (`GNU C Library (Debian GLIBC 2.36-9) stable release version 2.36.`). */
export function glibcVersionFromBinary(content: Buffer): string | null {
  const text = content.toString('latin1');
  const match = /GNU C Library [^\n\0]*?release version (\d+\.\d+(?:\.\d+)?)/.exec(text);
  return match?.[1] ?? null;
}

/** `/etc/os-release` `KEY=value` lines, quotes removed. */
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(raw.trim());
    if (!match?.[1]) continue;
    let value = match[2] ?? '';
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    fields[match[1]] = value;
  }
  return fields;
}

/** Compares dotted versions numerically (`2.9` < `2.28`); non-numeric parts compare as 0. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const right = b.split('.').map((part) => Number.parseInt(part, 10) || 0);
  for (let index = 0; index < Math.max(left.length, right.length); index += 1) {
    const difference = (left[index] ?? 0) - (right[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

export interface CondaPackage {
  name: string;
  version: string;
  build: string;
}

/** A `conda-meta/<name>-<version>-<build>.json` file name (names may hold hyphens; version and build do not). */
export function parseCondaMetaName(fileName: string): CondaPackage | null {
  const base = fileName.replace(/^.*\//, '');
  if (!base.endsWith('.json')) return null;
  const parts = base.slice(0, -'.json'.length).split('-');
  if (parts.length < 3) return null;
  const build = parts.pop() ?? '';
  const version = parts.pop() ?? '';
  const name = parts.join('-');
  if (name === '' || version === '' || build === '') return null;
  return { name, version, build };
}

/** Prefixes listed in conda's `~/.conda/environments.txt` (one absolute path a line). */
export function parseEnvironmentsTxt(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim().replace(/\/+$/, ''))
    .filter((line) => line.startsWith('/'));
}

/**
 * The major version of Jupyter Notebook that a `jupyter-notebook` console script starts: pip and
 * conda write `from notebook.notebookapp import main` (6) or `from notebook.app import main` (7);
 * easy-install scripts (Debian) name the requirement `notebook==6.4.12`. Null when it does not say.
 */
export function notebookMajorFromScript(text: string): { major: number; version: string | null } | null {
  const pinned = /['"]notebook==(\d+)(\.[\w.]+)?['"]/.exec(text);
  if (pinned?.[1]) return { major: Number(pinned[1]), version: `${pinned[1]}${pinned[2] ?? ''}` };
  if (/from notebook\.notebookapp import/.test(text) || /notebook\.notebookapp:main/.test(text)) {
    return { major: 6, version: null };
  }
  if (/from notebook\.app import/.test(text) || /notebook\.app:main/.test(text))
    return { major: 7, version: null };
  return null;
}

/** `site_dir /srv/shiny-server;` in shiny-server.conf (the first one), or null. */
export function shinyServerSiteDir(config: string): string | null {
  for (const raw of config.split('\n')) {
    const match = /^\s*site_dir\s+("?)([^";\s]+)\1\s*;/.exec(raw);
    if (match?.[2]) return match[2];
  }
  return null;
}

const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** Whether `name` is a valid, unreserved app name (the manifest's rule). */
export function isValidAppName(name: string): boolean {
  return APP_NAME.test(name) && !RESERVED_APP_NAMES.includes(name);
}

/** A directory name made into an app name: lowercase, runs of other characters to one hyphen, 63 at most. */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
}

/**
 * A unique, valid app name for `wanted`: its slug when free, else `<prefix>-<slug>`, else that with
 * `-2`, `-3`... Adds the result to `taken`.
 */
export function uniqueAppName(wanted: string, prefix: string, taken: Set<string>): string {
  const slug = slugify(wanted);
  const candidates = [slug, slug === '' ? prefix : `${prefix}-${slug}`.slice(0, 63).replace(/-+$/, '')];
  for (const candidate of candidates) {
    if (isValidAppName(candidate) && !taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
  const base = (candidates[1] ?? prefix).slice(0, 58).replace(/-+$/, '');
  for (let index = 2; ; index += 1) {
    const candidate = `${base}-${index}`;
    if (isValidAppName(candidate) && !taken.has(candidate)) {
      taken.add(candidate);
      return candidate;
    }
  }
}

/** The architecture names the engine may report, normalised to Go's (`x86_64` is `amd64`). */
export function normaliseArchitecture(architecture: string): string {
  const lower = architecture.toLowerCase();
  if (lower === 'x86_64' || lower === 'x86-64') return 'amd64';
  if (lower === 'aarch64' || lower === 'arm64v8') return 'arm64';
  return lower;
}
