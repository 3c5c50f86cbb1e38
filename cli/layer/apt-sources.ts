/**
 * This machine's apt sources, read (never changed): where the Debian archive is. hubify takes the
 * mirror from here instead of naming a host, so it uses whatever mirror (or proxy) the machine uses.
 * Both formats: deb822 `*.sources` stanzas and one-line `deb [options] uri suite components...`.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** An apt sources file of the host, verbatim. */
export interface AptSourceFile {
  /** Absolute path on the host, e.g. /etc/apt/sources.list.d/debian.sources. */
  path: string;
  text: string;
}

/** One `deb` source: a mirror URI with its suites and components. */
export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

/** The enabled apt source files of the host: sources.list and sources.list.d/*.list|*.sources. */
export async function hostAptSources(root = '/etc/apt'): Promise<AptSourceFile[]> {
  const files: AptSourceFile[] = [];
  const main = join(root, 'sources.list');
  if (existsSync(main)) files.push({ path: main, text: await readFile(main, 'utf8') });
  const dir = join(root, 'sources.list.d');
  if (existsSync(dir)) {
    for (const name of (await readdir(dir)).sort()) {
      if (name.endsWith('.list') || name.endsWith('.sources')) {
        files.push({ path: join(dir, name), text: await readFile(join(dir, name), 'utf8') });
      }
    }
  }
  return files;
}

/** Every enabled `deb` source (not `deb-src`) in these files, in file order. */
export function aptSources(files: readonly AptSourceFile[]): AptSource[] {
  const sources: AptSource[] = [];
  for (const file of files) {
    if (file.path.endsWith('.sources')) {
      for (const stanza of file.text.split(/\n\s*\n/)) {
        const fields = new Map<string, string>();
        for (const line of stanza.split('\n')) {
          if (line.trimStart().startsWith('#')) continue;
          const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line);
          if (match?.[1] && match[2] !== undefined) fields.set(match[1].toLowerCase(), match[2].trim());
        }
        const words = (name: string): string[] => (fields.get(name) ?? '').split(/\s+/).filter(Boolean);
        const enabled = (fields.get('enabled') ?? 'yes').toLowerCase() !== 'no';
        const uri = words('uris')[0];
        if (enabled && words('types').includes('deb') && uri)
          sources.push({ uri, suites: words('suites'), components: words('components') });
      }
    } else {
      for (const raw of file.text.split('\n')) {
        const line = raw.replace(/#.*/, '').trim();
        const match = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)((?:\s+\S+)*)$/.exec(line);
        if (match?.[1] && match[2])
          sources.push({
            uri: match[1],
            suites: [match[2]],
            components: (match[3] ?? '').split(/\s+/).filter(Boolean),
          });
      }
    }
  }
  return sources;
}

/**
 * The mirror URI that serves `suite` (type deb) in these apt sources: the `URIs:` of a deb822 stanza
 * whose `Suites:` lists the suite, or the URI of a one-line `deb` entry for it.
 */
export function debianMirror(files: readonly AptSourceFile[], suite: string): string | undefined {
  return aptSources(files).find((source) => source.suites.includes(suite))?.uri;
}

/**
 * The Debian release archive of this machine: the mirror and suite of a source with component
 * `main`, preferring the suite named `codename` (VERSION_CODENAME of /etc/os-release), else the first
 * plain suite (not `-updates`, `-security`, `-backports`).
 */
export function debianArchive(
  files: readonly AptSourceFile[],
  codename: string | null,
): { mirror: string; suite: string } | undefined {
  const candidates = aptSources(files)
    .filter((source) => source.components.includes('main'))
    .flatMap((source) => source.suites.map((suite) => ({ mirror: source.uri, suite })));
  return (
    candidates.find((candidate) => codename !== null && candidate.suite === codename) ??
    candidates.find((candidate) => /^[a-z]+$/.test(candidate.suite))
  );
}

/** VERSION_CODENAME of an os-release file's text, or null. */
export function osReleaseCodename(text: string): string | null {
  const match = /^VERSION_CODENAME=["']?([^"'\s]+)["']?\s*$/m.exec(text);
  return match?.[1] ?? null;
}
