/**
 * What a manifest problem looks like (`ManifestIssue`), the documented list of problem codes, and
 * the human text the CLI and the runtime print for a list of problems.
 */

/** Every code a manifest problem or warning can carry, with its one-line meaning. Never reuse a code. */
export const MANIFEST_ISSUE_CODES = {
  HUBIFY_MANIFEST_NOT_FOUND: 'The manifest file does not exist.',
  HUBIFY_MANIFEST_UNREADABLE:
    'The manifest file exists but cannot be read (permissions, a directory, bad encoding).',
  HUBIFY_MANIFEST_SYNTAX: 'The file is not valid YAML or JSON.',
  HUBIFY_MANIFEST_TYPE: 'A value has the wrong type, such as text where a number belongs.',
  HUBIFY_MANIFEST_UNKNOWN_PROPERTY: 'A property the schema does not define, usually a typo.',
  HUBIFY_MANIFEST_MISSING_PROPERTY: 'A required property is absent.',
  HUBIFY_MANIFEST_SCHEMA_VERSION: 'schemaVersion is not a version this hubify understands.',
  HUBIFY_MANIFEST_ENUM: 'A value is not one of the allowed words.',
  HUBIFY_MANIFEST_RANGE: 'A number is outside its allowed range.',
  HUBIFY_MANIFEST_FORMAT:
    'A text value or key does not have the required form (app name, path, variable or header name, icon).',
  HUBIFY_MANIFEST_CONSTRAINT:
    'Any other schema rule is broken, such as an empty list where one item is needed.',
  HUBIFY_MANIFEST_RESERVED_NAME: 'An app name is a URL segment the runtime keeps for itself.',
  HUBIFY_MANIFEST_DUPLICATE_APP: 'Two apps have the same name.',
  HUBIFY_MANIFEST_UNKNOWN_DEFAULT_APP: 'defaultApp names no app of the manifest.',
  HUBIFY_MANIFEST_NO_ADDRESS:
    'An app without a command has neither a fixed port nor a socket path to proxy to.',
  HUBIFY_MANIFEST_RELATIVE_PATH: 'A path that must be absolute (start with /) does not.',
  HUBIFY_MANIFEST_UNKNOWN_PLACEHOLDER: 'A {placeholder} the runtime does not know.',
  HUBIFY_MANIFEST_BAD_REGEX: 'An activity exclude pattern is not a valid JavaScript regular expression.',
  HUBIFY_MANIFEST_CONFLICT: 'Two settings contradict each other, such as maxBackoff below backoff.',
  HUBIFY_MANIFEST_ADDRESS_NOT_PASSED:
    'Warning: the runtime picks the port or socket, but neither command nor environment passes it to the app.',
  HUBIFY_MANIFEST_PORT_IGNORED: 'Warning: port is set, but unixSocket overrides it.',
} as const;

export type ManifestIssueCode = keyof typeof MANIFEST_ISSUE_CODES;

/** One problem with a manifest, complete enough to fix it without opening the schema. */
export interface ManifestIssue {
  /** Where: a dot path such as `apps[0].port` or `apps[1].environment["MY-VAR"]`; '' is the whole file. */
  path: string;
  /** The JSON Schema keyword (`type`, `additionalProperties`...) or the cross-field rule name that failed. */
  rule: string;
  /** The offending value as parsed (JSON); undefined when the problem is a missing value. */
  value: unknown;
  /** What is wrong, in words, starting lowercase so it reads after the path. */
  message: string;
  /** What to do about it, as a sentence. */
  hint: string;
  code: ManifestIssueCode;
  /** 1-based position in the source text, when known. */
  line?: number;
  column?: number;
}

/** Warnings have the same shape; they never make a manifest invalid. */
export type ManifestWarning = ManifestIssue;

export type PathSegment = string | number;

/** `['apps', 0, 'environment', 'MY-VAR']` -> `apps[0].environment["MY-VAR"]`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** A value as it appears after "got": JSON, shortened. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? `(${typeof value})`;
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export const MANIFEST_SCHEMA_PATH = 'schemas/manifest.v1.schema.json';

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function label(issue: ManifestIssue): string {
  if (issue.path !== '') return issue.path;
  return issue.line === undefined ? '(file)' : `line ${issue.line}`;
}

function issueLines(issue: ManifestIssue, sourceName: string): string[] {
  const where = issue.line === undefined ? '' : `  (${sourceName}:${issue.line}:${issue.column ?? 1})`;
  return [`  ${label(issue)}  ${issue.message}  [${issue.code}]`, `      ${issue.hint}${where}`];
}

/**
 * The text a person reads for an invalid manifest:
 * `hubify: FILE is invalid (N problems)`, then each problem with its hint, then what to do.
 */
export function formatManifestIssues(issues: readonly ManifestIssue[], sourceName: string): string {
  const lines = [`hubify: ${sourceName} is invalid (${plural(issues.length, 'problem')})`];
  for (const issue of issues) lines.push(...issueLines(issue, sourceName));
  lines.push(`Fix them and run again (schema: ${MANIFEST_SCHEMA_PATH}).`);
  return `${lines.join('\n')}\n`;
}

/** The text for warnings of a manifest that is valid (or printed after its problems). */
export function formatManifestWarnings(warnings: readonly ManifestWarning[], sourceName: string): string {
  if (warnings.length === 0) return '';
  const lines = [`hubify: ${sourceName}: ${plural(warnings.length, 'warning')}`];
  for (const warning of warnings) lines.push(...issueLines(warning, sourceName));
  return `${lines.join('\n')}\n`;
}

/** An issue while it is being built: the path still as segments, so it can be located in the source. */
export interface DraftIssue extends Omit<ManifestIssue, 'path' | 'line' | 'column'> {
  at: PathSegment[];
  /** Point at the key rather than the value (unknown properties, bad keys). */
  atKey?: boolean;
}
