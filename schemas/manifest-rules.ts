/**
 * Cross-field rules the JSON Schema cannot express. Each rule is a tiny named function that reads the
 * parsed document (which may also have schema problems, so every rule checks types defensively) and
 * reports errors or warnings. Rules never throw and never stop the others: all problems at once.
 */
import { PLACEHOLDER_NAMES } from '../proxy/app-spec.ts';
import { APP_DEFAULTS } from './manifest-defaults.ts';
import type { DraftIssue } from './manifest-issues.ts';
import { closestWord } from './manifest-schema-errors.ts';
import { isPlaceholderName, placeholdersIn } from './placeholders.ts';

type UnknownRecord = Record<string, unknown>;

function isRecord(value: unknown): value is UnknownRecord {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Where rules report; `error` makes the manifest invalid, `warn` does not. */
export interface RuleReport {
  error(issue: DraftIssue): void;
  warn(issue: DraftIssue): void;
}

export interface RuleInput {
  root: UnknownRecord;
  /** The entries of `apps` that are objects, with their index. */
  apps: { index: number; app: UnknownRecord }[];
}

export type ManifestRule = (input: RuleInput, report: RuleReport) => void;

function stringList(value: unknown): string[] | null {
  return Array.isArray(value) && value.every((item) => typeof item === 'string') ? value : null;
}

function stringEntries(value: unknown): [string, string][] {
  if (!isRecord(value)) return [];
  return Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
}

function hasCommand(app: UnknownRecord): boolean {
  return Array.isArray(app.command) && app.command.length > 0;
}

function positivePort(app: UnknownRecord): boolean {
  return typeof app.port === 'number' && app.port > 0;
}

export const defaultAppNamesAnApp: ManifestRule = ({ root, apps }, report) => {
  if (typeof root.defaultApp !== 'string') return;
  const names = [
    ...new Set(apps.map(({ app }) => app.name).filter((name): name is string => typeof name === 'string')),
  ];
  if (names.includes(root.defaultApp)) return;
  const guess = closestWord(root.defaultApp, names);
  report.error({
    at: ['defaultApp'],
    rule: 'default-app-exists',
    value: root.defaultApp,
    code: 'HUBIFY_MANIFEST_UNKNOWN_DEFAULT_APP',
    message: names.length === 0 ? 'names an app, but there are no apps' : 'names no app of this manifest',
    hint:
      guess !== undefined
        ? `Did you mean "${guess}"?`
        : names.length === 0
          ? 'Add the app to apps, or remove defaultApp.'
          : `Use one of: ${names.join(', ')}; or remove defaultApp to show the launcher.`,
  });
};

export const appNamesAreUnique: ManifestRule = ({ apps }, report) => {
  const firstIndex = new Map<string, number>();
  for (const { index, app } of apps) {
    if (typeof app.name !== 'string') continue;
    const first = firstIndex.get(app.name);
    if (first === undefined) {
      firstIndex.set(app.name, index);
      continue;
    }
    report.error({
      at: ['apps', index, 'name'],
      rule: 'unique-app-names',
      value: app.name,
      code: 'HUBIFY_MANIFEST_DUPLICATE_APP',
      message: `repeats the name of apps[${first}]`,
      hint: 'App names are URL segments and must be unique; rename one of the two apps.',
    });
  }
};

export const commandlessAppHasAddress: ManifestRule = ({ apps }, report) => {
  for (const { index, app } of apps) {
    if (hasCommand(app) || (app.command !== undefined && !Array.isArray(app.command))) continue;
    if (positivePort(app) || typeof app.unixSocket === 'string') continue;
    report.error({
      at: ['apps', index],
      rule: 'commandless-app-address',
      value: { command: app.command, port: app.port, unixSocket: app.unixSocket },
      code: 'HUBIFY_MANIFEST_NO_ADDRESS',
      message:
        'has no command, so it must already listen at a fixed address, but neither port nor a unixSocket path is set',
      hint: 'Add command: [...] so hubify starts the app, or set port: 8080 (or unixSocket: /path/app.sock) where it already listens.',
    });
  }
};

export const readinessPathIsAbsolute: ManifestRule = ({ apps }, report) => {
  for (const { index, app } of apps) {
    const path = isRecord(app.readiness) ? app.readiness.path : undefined;
    if (typeof path !== 'string' || path.startsWith('/')) continue;
    report.error({
      at: ['apps', index, 'readiness', 'path'],
      rule: 'readiness-path-absolute',
      value: path,
      code: 'HUBIFY_MANIFEST_RELATIVE_PATH',
      message: `must start with /, got ${JSON.stringify(path)}`,
      hint: `Write it as the app sees it, for example /${path}.`,
    });
  }
};

export const cwdIsAbsolute: ManifestRule = ({ apps }, report) => {
  for (const { index, app } of apps) {
    if (typeof app.cwd !== 'string' || app.cwd.startsWith('/') || app.cwd.startsWith('{home}')) continue;
    report.error({
      at: ['apps', index, 'cwd'],
      rule: 'cwd-absolute',
      value: app.cwd,
      code: 'HUBIFY_MANIFEST_RELATIVE_PATH',
      message: `must be an absolute path or start with {home}, got ${JSON.stringify(app.cwd)}`,
      hint: `Write for example {home}/${app.cwd} or /srv/${app.cwd}.`,
    });
  }
};

export const excludePatternsCompile: ManifestRule = ({ apps }, report) => {
  for (const { index, app } of apps) {
    const exclude = isRecord(app.activity) ? app.activity.exclude : undefined;
    if (!Array.isArray(exclude)) continue;
    exclude.forEach((pattern, position) => {
      if (typeof pattern !== 'string') return;
      try {
        new RegExp(pattern);
      } catch (error) {
        report.error({
          at: ['apps', index, 'activity', 'exclude', position],
          rule: 'exclude-patterns-compile',
          value: pattern,
          code: 'HUBIFY_MANIFEST_BAD_REGEX',
          message: `is not a valid regular expression (${error instanceof Error ? error.message : String(error)})`,
          hint: 'Use JavaScript regular expression syntax and escape special characters such as ( [ { . with \\.',
        });
      }
    });
  }
};

export const placeholdersAreKnown: ManifestRule = ({ apps }, report) => {
  const known = PLACEHOLDER_NAMES.map((name) => `{${name}}`).join(', ');
  for (const { index, app } of apps) {
    const texts: { at: (string | number)[]; text: string }[] = [];
    (stringList(app.command) ?? []).forEach((text, position) =>
      texts.push({ at: ['command', position], text }),
    );
    for (const [key, text] of stringEntries(app.environment)) texts.push({ at: ['environment', key], text });
    if (typeof app.cwd === 'string') texts.push({ at: ['cwd'], text: app.cwd });
    for (const [key, text] of stringEntries(app.requestHeaders))
      texts.push({ at: ['requestHeaders', key], text });
    for (const { at, text } of texts) {
      const unknown = [...new Set(placeholdersIn(text).filter((name) => !isPlaceholderName(name)))];
      for (const name of unknown) {
        const guess = closestWord(name, PLACEHOLDER_NAMES);
        report.error({
          at: ['apps', index, ...at],
          rule: 'known-placeholders',
          value: text,
          code: 'HUBIFY_MANIFEST_UNKNOWN_PLACEHOLDER',
          message: `uses the unknown placeholder {${name}}`,
          hint:
            (guess === undefined ? '' : `Did you mean {${guess}}? `) +
            `Known: ${known}. Write {{${name}}} for the literal text {${name}}.`,
        });
      }
    }
  }
};

export const backoffIsOrdered: ManifestRule = ({ apps }, report) => {
  for (const { index, app } of apps) {
    if (!isRecord(app.restart)) continue;
    const backoff =
      typeof app.restart.backoff === 'number' ? app.restart.backoff : APP_DEFAULTS.restart.backoff;
    const maxBackoff =
      typeof app.restart.maxBackoff === 'number' ? app.restart.maxBackoff : APP_DEFAULTS.restart.maxBackoff;
    if (maxBackoff >= backoff) continue;
    report.error({
      at: ['apps', index, 'restart', app.restart.maxBackoff === undefined ? 'backoff' : 'maxBackoff'],
      rule: 'backoff-order',
      value: { backoff, maxBackoff },
      code: 'HUBIFY_MANIFEST_CONFLICT',
      message: `maxBackoff (${maxBackoff}) is below backoff (${backoff})`,
      hint: `Set maxBackoff to at least ${backoff}, or lower backoff.`,
    });
  }
};

/** Warning: the runtime picks a free port or socket path, but the app is never told which. */
export const commandReceivesAddress: ManifestRule = ({ apps }, report) => {
  for (const { index, app } of apps) {
    const command = stringList(app.command);
    if (command === null || command.length === 0) continue;
    const socket = app.unixSocket === true;
    if (!socket && (typeof app.unixSocket === 'string' || positivePort(app))) continue;
    const wanted = socket ? 'unix_socket' : 'port';
    const texts = [...command, ...stringEntries(app.environment).map(([, text]) => text)];
    if (texts.some((text) => placeholdersIn(text).includes(wanted))) continue;
    report.warn({
      at: ['apps', index, 'command'],
      rule: 'command-receives-address',
      value: command,
      code: 'HUBIFY_MANIFEST_ADDRESS_NOT_PASSED',
      message: socket
        ? 'never receives {unix_socket}, but the runtime picks the socket path'
        : 'never receives {port}, but the runtime picks a free port (port is 0 or absent)',
      hint: socket
        ? 'Pass it, for example "--socket={unix_socket}", or set unixSocket to the fixed path the app uses.'
        : 'Pass it, for example "--port={port}" or environment PORT: "{port}", or set port: to the fixed port the app uses.',
    });
  }
};

/** Warning: both port and unixSocket are set; the socket wins. */
export const socketOverridesPort: ManifestRule = ({ apps }, report) => {
  for (const { index, app } of apps) {
    const socket = app.unixSocket === true || typeof app.unixSocket === 'string';
    if (!socket || !positivePort(app)) continue;
    report.warn({
      at: ['apps', index, 'port'],
      rule: 'socket-overrides-port',
      value: app.port,
      code: 'HUBIFY_MANIFEST_PORT_IGNORED',
      message: 'is ignored because unixSocket is set',
      hint: 'Remove port, or remove unixSocket to use TCP.',
    });
  }
};

/** Every cross-field rule, in the order their findings are reported (before sorting by position). */
export const MANIFEST_RULES: readonly ManifestRule[] = [
  defaultAppNamesAnApp,
  appNamesAreUnique,
  commandlessAppHasAddress,
  readinessPathIsAbsolute,
  cwdIsAbsolute,
  excludePatternsCompile,
  placeholdersAreKnown,
  backoffIsOrdered,
  commandReceivesAddress,
  socketOverridesPort,
];

export function runManifestRules(data: unknown): { errors: DraftIssue[]; warnings: DraftIssue[] } {
  const errors: DraftIssue[] = [];
  const warnings: DraftIssue[] = [];
  if (!isRecord(data)) return { errors, warnings };
  const apps = Array.isArray(data.apps)
    ? data.apps.flatMap((app: unknown, index) => (isRecord(app) ? [{ index, app }] : []))
    : [];
  const report: RuleReport = { error: (issue) => errors.push(issue), warn: (issue) => warnings.push(issue) };
  for (const rule of MANIFEST_RULES) rule({ root: data, apps }, report);
  return { errors, warnings };
}
