/**
 * The app's own process types, as the buildpack finds them at build time: the `Procfile` in the app
 * directory (`type: shell command` lines, run with `/bin/sh -c` as the Procfile buildpacks do) and the
 * `launch.toml` of buildpacks that ran before this one (their `[[processes]]`, which win over the
 * Procfile for the same type: they are what the image would run).
 */
import { readFile, readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';

/** One process definition (launch.toml `[[processes]]`, Buildpack API 0.9+ shape). */
export interface ProcessType {
  type: string;
  /** Always passed: the executable (absolute path or a name on PATH) and its fixed arguments. */
  command: string[];
  /** Default arguments (replaced by the user's arguments at launch). */
  args: string[];
  /** Working directory; null means the app directory. */
  workingDir: string | null;
  /** Where it was found, for messages: `Procfile`, or `<buildpack layers dir>/launch.toml`. */
  source: string;
}

/** Process type names allowed by the spec: letters, digits, `.`, `_` and `-`. */
export const PROCESS_TYPE_PATTERN = /^[A-Za-z0-9._-]+$/;

/** The shell that runs Procfile commands (POSIX sh: present in every image hubify supports). */
export const PROCFILE_SHELL: readonly string[] = ['/bin/sh', '-c'];

export interface Parsed {
  processes: ProcessType[];
  /** Lines or entries that were skipped, with why. */
  warnings: string[];
}

/** A Procfile: `type: command` per line; blank lines and `#` comments skipped. */
export function parseProcfile(text: string, source = 'Procfile'): Parsed {
  const processes: ProcessType[] = [];
  const warnings: string[] = [];
  for (const [index, raw] of text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([^:\s]+)\s*:\s*(.*)$/.exec(line);
    const type = match?.[1];
    const command = match?.[2]?.trim() ?? '';
    if (type === undefined || !PROCESS_TYPE_PATTERN.test(type) || command === '') {
      warnings.push(
        `${source}:${index + 1}: expected "type: command" with a type of letters, digits, ".", "_" or "-"; skipped: ${line}`,
      );
      continue;
    }
    if (processes.some((process) => process.type === type)) {
      warnings.push(`${source}:${index + 1}: "${type}" is declared again; the later line wins.`);
      processes.splice(
        processes.findIndex((process) => process.type === type),
        1,
      );
    }
    processes.push({ type, command: [...PROCFILE_SHELL, command], args: [], workingDir: null, source });
  }
  return { processes, warnings };
}

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
}

/**
 * The `[[processes]]` of a launch.toml. `command` is a list since Buildpack API 0.9; older buildpacks
 * wrote a string (with `direct = false` meaning "through a shell"), read as the same process.
 */
export function parseLaunchToml(text: string, source: string): Parsed {
  const processes: ProcessType[] = [];
  const warnings: string[] = [];
  let data: Record<string, unknown>;
  try {
    data = parseToml(text);
  } catch (error) {
    return { processes, warnings: [`${source} is not valid TOML (${(error as Error).message}); skipped.`] };
  }
  const entries = Array.isArray(data.processes) ? (data.processes as unknown[]) : [];
  for (const [index, entry] of entries.entries()) {
    const process = entry as Record<string, unknown>;
    const type = typeof process.type === 'string' ? process.type : '';
    const args = stringList(process.args ?? []) ?? [];
    let command = stringList(process.command);
    if (typeof process.command === 'string') {
      command =
        process.direct === false
          ? [...PROCFILE_SHELL, [process.command, ...args].join(' ')]
          : [process.command];
    }
    if (!PROCESS_TYPE_PATTERN.test(type) || command === null || command.length === 0) {
      warnings.push(`${source}: processes[${index}] has no valid type or command; skipped.`);
      continue;
    }
    processes.push({
      type,
      command,
      args: typeof process.command === 'string' && process.direct === false ? [] : args,
      workingDir: typeof process['working-dir'] === 'string' ? process['working-dir'] : null,
      source,
    });
  }
  return { processes, warnings };
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The launch.toml files of the other buildpacks of this build: the lifecycle gives each buildpack
 * `<layers>/<escaped id>/`, so ours (`CNB_LAYERS_DIR`) has theirs as siblings. Those that ran before us
 * have written theirs; sorted by directory name (the build order is not visible to a buildpack).
 */
export async function earlierLaunchTomls(ownLayersDir: string): Promise<Parsed> {
  const root = dirname(ownLayersDir);
  const own = basename(ownLayersDir);
  let names: string[];
  try {
    names = (await readdir(root, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && entry.name !== own)
      .map((entry) => entry.name)
      .sort();
  } catch {
    return { processes: [], warnings: [] };
  }
  const result: Parsed = { processes: [], warnings: [] };
  for (const name of names) {
    const path = join(root, name, 'launch.toml');
    const text = await readOrNull(path);
    if (text === null) continue;
    const parsed = parseLaunchToml(text, path);
    result.processes.push(...parsed.processes);
    result.warnings.push(...parsed.warnings);
  }
  return result;
}

/** The app directory's Procfile, if it has one. */
export async function readProcfile(appDir: string): Promise<Parsed> {
  const text = await readOrNull(join(appDir, 'Procfile'));
  return text === null ? { processes: [], warnings: [] } : parseProcfile(text);
}

/** The app's process types: the Procfile's, then earlier buildpacks' (which win for the same type). */
export async function appProcessTypes(appDir: string, ownLayersDir: string): Promise<Parsed> {
  const procfile = await readProcfile(appDir);
  const earlier = await earlierLaunchTomls(ownLayersDir);
  const byType = new Map<string, ProcessType>();
  for (const process of [...procfile.processes, ...earlier.processes]) byType.set(process.type, process);
  return { processes: [...byType.values()], warnings: [...procfile.warnings, ...earlier.warnings] };
}
