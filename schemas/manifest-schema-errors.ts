/**
 * Turns the precompiled validator's ajv errors into manifest issues a person can act on: one issue per
 * real problem (anyOf noise collapsed), the bad value, words derived from the schema itself
 * ("an integer from 0 to 65535"), and a hint with an example taken from the schema's `examples`.
 */
import type { ErrorObject } from 'ajv';
import { type DraftIssue, type ManifestIssueCode, type PathSegment, showValue } from './manifest-issues.ts';

type SchemaNode = Record<string, unknown>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function asNode(value: unknown): SchemaNode | undefined {
  return isRecord(value) ? value : undefined;
}

interface PatternWords {
  /** After "must be": what a matching value is. */
  one: string;
  /** The same in the plural, for lists and maps. */
  many: string;
  hint: string;
}

/** Words for every `pattern` in the manifest schema; a test checks that none is missing. */
export const SCHEMA_PATTERN_WORDS: Readonly<Record<string, PatternWords>> = {
  '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$': {
    one: 'a lowercase name of letters a-z, digits and inner hyphens (1 to 63 characters)',
    many: 'lowercase names',
    hint: 'Use a name such as "my-app"; it is also the URL segment of the app.',
  },
  '^/': {
    one: 'an absolute path (starting with /)',
    many: 'absolute paths (starting with /)',
    hint: 'Start the path with /.',
  },
  '^[A-Za-z_][A-Za-z0-9_]*$': {
    one: 'an environment variable name (letters, digits and _, not starting with a digit)',
    many: 'environment variable names',
    hint: 'Rename the variable, for example MY_VAR instead of MY-VAR.',
  },
  "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$": {
    one: 'an HTTP header name (letters, digits and -, no spaces)',
    many: 'HTTP header names',
    hint: 'Use a header name such as X-My-Header.',
  },
  '^(?:data:image/[A-Za-z0-9.+-]+[;,]|/.*\\.(?:svg|png|SVG|PNG)$)': {
    one: 'a data:image/... URI or an absolute path to an .svg or .png file',
    many: 'icons',
    hint: 'Give the absolute path of an .svg or .png file in the image, or embed the image as a data: URI.',
  },
  '^(?!/)': {
    one: 'a path without a leading /',
    many: 'paths without a leading /',
    hint: 'Remove the leading /, for example lab instead of /lab.',
  },
};

function numberOf(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function rangeWords(schema: SchemaNode): string {
  const min = numberOf(schema.minimum);
  const max = numberOf(schema.maximum);
  const exclusiveMin = numberOf(schema.exclusiveMinimum);
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (exclusiveMin !== undefined) return ` greater than ${exclusiveMin}`;
  if (min !== undefined) return min === 0 ? ' of 0 or more' : ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return '';
}

/** `["a", "b", "c"]` -> `"a", "b" or "c"`. */
function listWords(values: readonly unknown[]): string {
  const words = values.map((value) => JSON.stringify(value));
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** What a schema accepts, in words: "an integer from 0 to 65535", "true or false, or an absolute path". */
export function describeSchema(schema: SchemaNode | undefined, many = false): string {
  if (schema === undefined) return many ? 'values' : 'a value';
  if (typeof schema.$ref === 'string') {
    // `#/$defs/app` -> "an app" / "apps"
    const name = schema.$ref.split('/').at(-1) ?? 'value';
    return many ? `${name}s` : `${/^[aeiou]/.test(name) ? 'an' : 'a'} ${name}`;
  }
  if (Array.isArray(schema.anyOf))
    return schema.anyOf.map((branch) => describeSchema(asNode(branch), many)).join(', or ');
  if (Array.isArray(schema.enum)) return `one of ${listWords(schema.enum)}`;
  if ('const' in schema) return JSON.stringify(schema.const);
  const pattern = typeof schema.pattern === 'string' ? SCHEMA_PATTERN_WORDS[schema.pattern] : undefined;
  switch (schema.type) {
    case 'integer':
      return `${many ? 'integers' : 'an integer'}${rangeWords(schema)}`;
    case 'number':
      return `${many ? 'numbers' : 'a number'}${rangeWords(schema)}`;
    case 'string':
      if (pattern !== undefined) return many ? pattern.many : pattern.one;
      return many ? 'strings' : 'a string';
    case 'boolean':
      return 'true or false';
    case 'array':
      return `${many ? 'lists' : 'a list'} of ${describeSchema(asNode(schema.items), true)}`;
    case 'object': {
      const values = asNode(schema.additionalProperties);
      if (values !== undefined)
        return `${many ? 'mappings' : 'a mapping'} of names to ${describeSchema(values, true)}`;
      return many ? 'mappings' : 'a mapping (key: value lines)';
    }
    default:
      return many ? 'values' : 'a value';
  }
}

const PLAIN_WORDS = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', '~']);

/** A value as YAML flow text, for examples in hints: `[rserver, "--www-port={port}"]`. */
export function flowText(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(flowText).join(', ')}]`;
  if (isRecord(value)) {
    return `{ ${Object.entries(value)
      .map(([key, item]) => `${flowText(key)}: ${flowText(item)}`)
      .join(', ')} }`;
  }
  if (typeof value === 'string') {
    const plain = /^[A-Za-z_][\w.-]*$/.test(value) || /^\/[\w./-]+$/.test(value);
    return plain && !PLAIN_WORDS.has(value.toLowerCase()) ? value : JSON.stringify(value);
  }
  return JSON.stringify(value) ?? String(value);
}

function exampleOf(schema: SchemaNode | undefined, key: PathSegment | undefined): string | undefined {
  if (schema === undefined || !Array.isArray(schema.examples) || schema.examples.length === 0)
    return undefined;
  const example = flowText(schema.examples[0]);
  return typeof key === 'string' ? `${key}: ${example}` : example;
}

function withExample(advice: string, schema: SchemaNode | undefined, key: PathSegment | undefined): string {
  const example = exampleOf(schema, key);
  return example === undefined ? advice : `${advice} For example: ${example}`;
}

function typeAdvice(expected: SchemaNode | undefined, value: unknown): string {
  if (Array.isArray(expected?.anyOf)) {
    // The advice of the first branch the value nearly fits ("88" for an integer), else the general one.
    for (const branch of expected.anyOf.map(asNode)) {
      if (branch?.type !== 'integer' && branch?.type !== 'number' && branch?.type !== 'boolean') continue;
      const advice = specificTypeAdvice(branch, value);
      if (advice !== undefined) return advice;
    }
  }
  return specificTypeAdvice(expected, value) ?? `Write ${describeSchema(expected)}.`;
}

function specificTypeAdvice(expected: SchemaNode | undefined, value: unknown): string | undefined {
  const type = expected?.type;
  const numeric = typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value));
  if ((type === 'integer' || type === 'number') && numeric) return 'Write the number without quotes.';
  if (type === 'integer' && typeof value === 'number') return 'Use a whole number.';
  if (type === 'string' && (typeof value === 'number' || typeof value === 'boolean' || value === null)) {
    return 'Put the value in quotes so that it is read as text.';
  }
  if (type === 'boolean' && typeof value === 'string') return 'Write true or false, without quotes.';
  if (type === 'array' && !Array.isArray(value)) return 'Write a list, even for a single item.';
  if (type === 'object') return 'Write a mapping: one "key: value" line per entry, indented below the name.';
  return undefined;
}

/** Edits (insert, delete, replace, swap two neighbours) that turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => rows[i]?.[j] ?? Number.MAX_SAFE_INTEGER;
  for (let i = 1; i <= a.length; i++) {
    const row = rows[i] ?? [];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, at(i - 2, j - 2) + 1);
      row[j] = best;
    }
  }
  return at(a.length, b.length);
}

/** The candidate a typo most likely meant (`unix_socket` -> `unixSocket`, `prot` -> `port`), if any. */
export function closestWord(word: string, candidates: readonly string[]): string | undefined {
  const squash = (text: string): string => text.toLowerCase().replace(/[-_\s]/g, '');
  const same = candidates.find((candidate) => squash(candidate) === squash(word));
  if (same !== undefined) return same;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.min(2, Math.floor(word.length / 3)));
  for (const candidate of candidates) {
    const distance = editDistance(squash(word), squash(candidate));
    if (distance <= bestDistance) {
      best = candidate;
      bestDistance = distance - 1;
    }
  }
  return best;
}

/** JSON pointer `/apps/0/port` -> `['apps', 0, 'port']`, numbers where the data holds an array. */
export function segmentsOf(pointer: string, data: unknown): PathSegment[] {
  if (pointer === '') return [];
  const segments: PathSegment[] = [];
  let node = data;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(key);
      segments.push(index);
      node = node[index];
    } else {
      segments.push(key);
      node = isRecord(node) ? node[key] : undefined;
    }
  }
  return segments;
}

/**
 * For each failed `anyOf`: if the value had the right type for some branch, keep only that branch's
 * errors (the precise reason); otherwise keep only the `anyOf` error (a plain type mismatch).
 */
function collapseAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  for (const anyOf of errors.filter((error) => error.keyword === 'anyOf')) {
    const prefix = `${anyOf.schemaPath}/`;
    const branches = new Map<string, ErrorObject[]>();
    for (const error of errors) {
      if (!error.schemaPath.startsWith(prefix)) continue;
      const branch = error.schemaPath.slice(prefix.length).split('/')[0] ?? '';
      branches.set(branch, [...(branches.get(branch) ?? []), error]);
    }
    const typeMatched = [...branches.values()].filter(
      (list) => !list.some((error) => error.keyword === 'type' && error.instancePath === anyOf.instancePath),
    );
    for (const list of branches.values()) {
      if (!typeMatched.includes(list)) for (const error of list) dropped.add(error);
    }
    if (typeMatched.length > 0) dropped.add(anyOf);
  }
  return errors.filter((error) => !dropped.has(error));
}

function issue(
  error: ErrorObject,
  at: PathSegment[],
  code: ManifestIssueCode,
  message: string,
  hint: string,
): DraftIssue {
  return { at, rule: error.keyword, value: error.data, code, message, hint };
}

function translate(error: ErrorObject, data: unknown): DraftIssue {
  const at = segmentsOf(error.instancePath, data);
  const key = at.at(-1);
  const parent = asNode(error.parentSchema);
  const params = error.params as Record<string, unknown>;
  const got = showValue(error.data);

  switch (error.keyword) {
    case 'type':
    case 'anyOf': {
      if (at.length === 0 && (error.data === null || error.data === undefined)) {
        return issue(
          error,
          at,
          'HUBIFY_MANIFEST_TYPE',
          'is empty',
          'A manifest needs at least "schemaVersion: 1" and "apps:" (a list, may be empty).',
        );
      }
      const advice = withExample(typeAdvice(parent, error.data), parent, key);
      return issue(
        error,
        at,
        'HUBIFY_MANIFEST_TYPE',
        `must be ${describeSchema(parent)}, got ${got}`,
        advice,
      );
    }
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys(asNode(parent?.properties) ?? {});
      const guess = closestWord(name, known);
      const value = isRecord(error.data) ? error.data[name] : undefined;
      const hint =
        guess === undefined
          ? `Remove it or correct its spelling. Known here: ${known.join(', ')}.`
          : `Did you mean "${guess}"?`;
      return {
        ...issue(error, [...at, name], 'HUBIFY_MANIFEST_UNKNOWN_PROPERTY', 'is not a known property', hint),
        value,
        atKey: true,
      };
    }
    case 'required': {
      const name = String(params.missingProperty);
      const property = asNode(asNode(parent?.properties)?.[name]);
      const description = typeof property?.description === 'string' ? ` ${property.description}` : '';
      const hint = `Add ${exampleOf(property, name) ?? name}.${description}`;
      return {
        ...issue(error, [...at, name], 'HUBIFY_MANIFEST_MISSING_PROPERTY', 'is required', hint),
        value: undefined,
      };
    }
    case 'const': {
      const allowed = JSON.stringify(params.allowedValue);
      if (at.length === 1 && at[0] === 'schemaVersion') {
        return issue(
          error,
          at,
          'HUBIFY_MANIFEST_SCHEMA_VERSION',
          `must be ${allowed}, got ${got}`,
          `This hubify reads manifests of schemaVersion ${allowed}; write schemaVersion: ${allowed}, or use a newer hubify.`,
        );
      }
      return issue(error, at, 'HUBIFY_MANIFEST_ENUM', `must be ${allowed}, got ${got}`, `Write ${allowed}.`);
    }
    case 'enum': {
      const allowed = Array.isArray(params.allowedValues) ? (params.allowedValues as unknown[]) : [];
      const words = allowed.filter((value): value is string => typeof value === 'string');
      const guess = typeof error.data === 'string' ? closestWord(error.data, words) : undefined;
      const hint =
        guess === undefined
          ? `Use one of: ${words.join(', ')}.`
          : `Did you mean "${guess}"? Allowed: ${words.join(', ')}.`;
      return issue(
        error,
        at,
        'HUBIFY_MANIFEST_ENUM',
        `must be one of ${listWords(allowed)}, got ${got}`,
        hint,
      );
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const words = describeSchema(parent);
      return issue(
        error,
        at,
        'HUBIFY_MANIFEST_RANGE',
        `must be ${words}, got ${got}`,
        withExample(`Use ${words}.`, parent, key),
      );
    }
    case 'pattern': {
      const source = String(params.pattern);
      const words = SCHEMA_PATTERN_WORDS[source];
      const one = words?.one ?? `text matching /${source}/`;
      const hint = words?.hint ?? 'Change the value so that it matches.';
      if (error.propertyName !== undefined) {
        const name = error.propertyName;
        const message = `has a key that is not ${one}: ${showValue(name)}`;
        return {
          ...issue(error, [...at, name], 'HUBIFY_MANIFEST_FORMAT', message, hint),
          value: name,
          atKey: true,
        };
      }
      return issue(error, at, 'HUBIFY_MANIFEST_FORMAT', `must be ${one}, got ${got}`, hint);
    }
    case 'not': {
      const reserved = asNode(error.schema)?.enum;
      if (Array.isArray(reserved)) {
        return issue(
          error,
          at,
          'HUBIFY_MANIFEST_RESERVED_NAME',
          `is reserved for the runtime's own pages, got ${got}`,
          `Choose another name; reserved: ${reserved.join(', ')}.`,
        );
      }
      return issue(error, at, 'HUBIFY_MANIFEST_CONSTRAINT', `must not be ${got}`, 'Choose another value.');
    }
    case 'minItems': {
      const limit = numberOf(params.limit) ?? 1;
      const message = limit === 1 ? 'must not be an empty list' : `must have at least ${limit} items`;
      return issue(
        error,
        at,
        'HUBIFY_MANIFEST_CONSTRAINT',
        message,
        withExample('Add items, or remove the property.', parent, key),
      );
    }
    default:
      return issue(
        error,
        at,
        'HUBIFY_MANIFEST_CONSTRAINT',
        `${error.message ?? 'is invalid'}, got ${got}`,
        `See the description of this property in the schema.`,
      );
  }
}

/** One draft issue per real problem found by the validator, in the validator's order. */
export function schemaIssues(errors: readonly ErrorObject[], data: unknown): DraftIssue[] {
  const relevant = errors.filter((error) => error.keyword !== 'propertyNames');
  return collapseAnyOf(relevant).map((error) => translate(error, data));
}
