/**
 * Renders templates/Dockerfile.hubify: named `{{NAME}}` placeholders, never positional; an unknown or
 * unfilled placeholder is an error; comment lines are dropped; a line that is only a placeholder with
 * an empty value is left out. Values are quoted for the Dockerfile here, not in the template.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DOCKERFILE_TEMPLATE_NAME = 'Dockerfile.hubify';

/** The placeholders of the template, each of which must be given. */
export const DOCKERFILE_PLACEHOLDERS = [
  'BASE_IMAGE',
  'LAYER_TAR',
  'ENV',
  'LABELS',
  'USER',
  'WORKDIR',
  'PORT',
  'ENTRYPOINT',
  'CMD',
] as const;

export type DockerfileValues = Record<(typeof DOCKERFILE_PLACEHOLDERS)[number], string>;

/**
 * templates/Dockerfile.hubify of this hubify: found upwards from this module, which is
 * dist/hubify.mjs when bundled and cli/build/dockerfile.ts in the sources.
 */
export function dockerfileTemplatePath(moduleUrl: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(moduleUrl));
  for (let depth = 0; depth < 4; depth++) {
    const candidate = join(dir, 'templates', DOCKERFILE_TEMPLATE_NAME);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`templates/${DOCKERFILE_TEMPLATE_NAME} not found above ${fileURLToPath(moduleUrl)}`);
}

export async function loadDockerfileTemplate(path: string = dockerfileTemplatePath()): Promise<string> {
  return readFile(path, 'utf8');
}

const PLACEHOLDER = /\{\{([A-Za-z0-9_]*)\}\}/g;

/** Renders the template; throws naming every unknown or missing placeholder. */
export function renderDockerfile(template: string, values: Readonly<Record<string, string>>): string {
  const used = new Set<string>();
  const unknown = new Set<string>();
  const out: string[] = [];
  for (const line of template.split('\n')) {
    if (line.trimStart().startsWith('#')) continue;
    const only = /^\s*\{\{([A-Za-z0-9_]+)\}\}\s*$/.exec(line);
    if (only?.[1] !== undefined && values[only[1]] === '') {
      used.add(only[1]);
      continue;
    }
    out.push(
      line.replace(PLACEHOLDER, (match, name: string) => {
        const value = values[name];
        if (value === undefined) {
          unknown.add(name);
          return match;
        }
        used.add(name);
        return value;
      }),
    );
  }
  const unfilled = Object.keys(values).filter((name) => !used.has(name));
  if (unknown.size > 0 || unfilled.length > 0) {
    const problems = [
      ...[...unknown].map((name) => `{{${name}}} has no value`),
      ...unfilled.map((name) => `the value for ${name} has no {{${name}}} in the template`),
    ];
    throw new Error(`Dockerfile template: ${problems.join('; ')}`);
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

/**
 * A value as a double-quoted Dockerfile word: backslash, quote and $ escaped (LABEL, ENV and WORKDIR
 * expand variables). Newlines cannot be written in a Dockerfile value and are refused.
 */
export function dockerfileQuote(value: string): string {
  if (/[\r\n]/.test(value))
    throw new Error(`a Dockerfile value cannot hold a newline: ${JSON.stringify(value)}`);
  return `"${value.replace(/[\\"$]/g, (char) => `\\${char}`)}"`;
}

/** One LABEL instruction with a key="value" pair per line, sorted by key. */
export function labelInstruction(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  return `LABEL ${keys.map((key) => `${dockerfileQuote(key)}=${dockerfileQuote(labels[key] ?? '')}`).join(' \\\n      ')}`;
}

/** ENV lines, one per variable, in the order given. */
export function envInstructions(env: readonly (readonly [string, string])[]): string {
  return env
    .map(([name, value]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new Error(`not an environment variable name: ${name}`);
      return `ENV ${name}=${dockerfileQuote(value)}`;
    })
    .join('\n');
}

/** WORKDIR takes the rest of the line (no quotes), with $ escaped. */
export function workdirValue(path: string): string {
  if (/[\r\n]/.test(path) || !path.startsWith('/'))
    throw new Error(`WORKDIR must be an absolute path on one line: ${path}`);
  return path.replace(/[\\$]/g, (char) => `\\${char}`);
}
