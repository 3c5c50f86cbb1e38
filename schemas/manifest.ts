/**
 * Loads an app manifest: read -> parse (YAML or JSON) -> validate (precompiled ajv validator of
 * manifest.v1.schema.json) -> cross-field rules -> normalise to `ManifestSpec`.
 * Never throws for a bad manifest: the result lists every problem at once, each with its path, the
 * rule, the bad value, a message, a hint, a code and (when known) its line and column.
 */
import { readFile } from 'node:fs/promises';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document, type YAMLError } from 'yaml';
import type { ManifestSpec } from '../proxy/app-spec.ts';
import { validate } from './generated/manifest-validator.js';
import {
  formatPath,
  type DraftIssue,
  type ManifestIssue,
  type ManifestIssueCode,
  type ManifestWarning,
} from './manifest-issues.ts';
import { normaliseManifest } from './manifest-normalise.ts';
import { runManifestRules } from './manifest-rules.ts';
import { schemaIssues } from './manifest-schema-errors.ts';

export {
  MANIFEST_ISSUE_CODES,
  MANIFEST_SCHEMA_PATH,
  formatManifestIssues,
  formatManifestWarnings,
  type ManifestIssue,
  type ManifestIssueCode,
  type ManifestWarning,
} from './manifest-issues.ts';
export { normaliseManifest } from './manifest-normalise.ts';
export { expandPlaceholders, placeholdersIn } from './placeholders.ts';
export type { Manifest } from './generated/manifest.ts';

export type ManifestResult =
  | { ok: true; source: string; manifest: ManifestSpec; warnings: ManifestWarning[] }
  | { ok: false; source: string; issues: ManifestIssue[]; warnings: ManifestWarning[] };

interface Position {
  line: number;
  column: number;
}

type Locate = (issue: DraftIssue) => Position | undefined;

function hasRange(node: unknown): node is { range: [number, number, number] } {
  return typeof node === 'object' && node !== null && Array.isArray((node as { range?: unknown }).range);
}

/** Finds the YAML node an issue is about (or its nearest existing ancestor) and returns its position. */
function locator(doc: Document, counter: LineCounter): Locate {
  return ({ at, atKey }) => {
    let node: unknown = doc.contents;
    let found: unknown = node;
    for (const [index, segment] of at.entries()) {
      if (isMap(node)) {
        const pair = node.items.find(
          (item) => isScalar(item.key) && String(item.key.value) === String(segment),
        );
        if (pair === undefined) break;
        if (atKey === true && index === at.length - 1) {
          found = pair.key;
          break;
        }
        node = pair.value;
        found = pair.value ?? pair.key;
      } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
        node = node.items[segment];
        found = node;
      } else {
        break;
      }
    }
    if (!hasRange(found)) return undefined;
    const { line, col } = counter.linePos(found.range[0]);
    return { line, column: col };
  };
}

function finish(drafts: readonly DraftIssue[], locate: Locate | undefined): ManifestIssue[] {
  const issues = drafts.map((draft): ManifestIssue => {
    const issue: ManifestIssue = {
      path: formatPath(draft.at),
      rule: draft.rule,
      value: draft.value,
      message: draft.message,
      hint: draft.hint,
      code: draft.code,
    };
    const position = locate?.(draft);
    if (position !== undefined) {
      issue.line = position.line;
      issue.column = position.column;
    }
    return issue;
  });
  const order = (issue: ManifestIssue): number =>
    issue.line === undefined ? Number.MAX_SAFE_INTEGER : issue.line * 10_000 + (issue.column ?? 0);
  return issues.sort((a, b) => order(a) - order(b));
}

function check(data: unknown, source: string, locate: Locate | undefined): ManifestResult {
  const valid = validate(data);
  const drafts = valid ? [] : schemaIssues(validate.errors ?? [], data);
  const rules = runManifestRules(data);
  const issues = finish([...drafts, ...rules.errors], locate);
  const warnings = finish(rules.warnings, locate);
  if (!valid || issues.length > 0) return { ok: false, source, issues, warnings };
  return { ok: true, source, manifest: normaliseManifest(data), warnings };
}

const SYNTAX_HINTS: Partial<Record<string, string>> = {
  DUPLICATE_KEY: 'Keep only one of the entries with this key.',
  MULTIPLE_DOCS: 'A manifest is one YAML document: remove the --- line and what belongs to another document.',
  TAB_AS_INDENT: 'Indent with spaces, not tabs.',
  BAD_INDENT: 'Line up entries of the same mapping or list at the same indentation, using spaces.',
  MISSING_CHAR: 'Close every bracket, brace and quote that is opened.',
};

function syntaxIssue(error: YAMLError, counter: LineCounter, lines: readonly string[]): ManifestIssue {
  const { line, col } = counter.linePos(error.pos[0]);
  const message = error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? error.message;
  return {
    path: '',
    rule: 'yaml-syntax',
    value: (lines[line - 1] ?? '').trim(),
    message: `is not valid YAML or JSON: ${message}`,
    hint:
      SYNTAX_HINTS[error.code] ??
      'Check the indentation, colons, quotes and brackets on and just before this line.',
    code: 'HUBIFY_MANIFEST_SYNTAX',
    line,
    column: col,
  };
}

/**
 * Parses and validates manifest text, YAML or JSON (JSON is read as YAML, which accepts it).
 * `sourceName` is only used to name the source in the result.
 */
export function parseManifestText(text: string, sourceName: string): ManifestResult {
  const counter = new LineCounter();
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const doc = parseDocument(body, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const lines = body.split(/\r?\n/);
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      source: sourceName,
      issues: problems.map((e) => syntaxIssue(e, counter, lines)),
      warnings: [],
    };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const issue: ManifestIssue = {
      path: '',
      rule: 'yaml-syntax',
      value: null,
      message: `cannot be read as data: ${message}`,
      hint: 'Avoid deeply nested YAML aliases (*name); write the values out.',
      code: 'HUBIFY_MANIFEST_SYNTAX',
    };
    return { ok: false, source: sourceName, issues: [issue], warnings: [] };
  }
  return check(data, sourceName, locator(doc, counter));
}

/** Validates an already parsed manifest (for example one assembled in memory); no line numbers. */
export function checkManifestData(data: unknown, sourceName: string): ManifestResult {
  return check(data, sourceName, undefined);
}

function readIssue(error: unknown, path: string): ManifestIssue {
  const code = (error as { code?: unknown } | null)?.code;
  const missing = code === 'ENOENT' || code === 'ENOTDIR';
  const issueCode: ManifestIssueCode = missing ? 'HUBIFY_MANIFEST_NOT_FOUND' : 'HUBIFY_MANIFEST_UNREADABLE';
  const reason = error instanceof Error ? error.message : String(error);
  return {
    path: '',
    rule: 'read-file',
    value: path,
    message: missing ? 'does not exist' : `cannot be read (${reason})`,
    hint: missing
      ? 'Check the path; a manifest is usually hubify.yaml next to your Dockerfile.'
      : 'Make sure the path is a readable file.',
    code: issueCode,
  };
}

/** Reads and validates a manifest file. A missing or unreadable file is an issue, not an exception. */
export async function loadManifestFile(path: string): Promise<ManifestResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ok: false, source: path, issues: [readIssue(error, path)], warnings: [] };
  }
  return parseManifestText(text, path);
}
