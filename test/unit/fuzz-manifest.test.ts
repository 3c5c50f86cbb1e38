// Fuzzing (fast-check) of manifest parsing and placeholders: any text or data gives a result (never an
// exception); an accepted manifest only has app names that are safe URL segments below the prefix
// (not reserved, unique); placeholder expansion never throws and only ever replaces known names.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RESERVED_APP_NAMES, PLACEHOLDER_NAMES, type PlaceholderValues } from '../../proxy/app-spec.ts';
import { unsafePathReason } from '../../proxy/routing.ts';
import {
  checkManifestData,
  expandPlaceholders,
  parseManifestText,
  placeholdersIn,
} from '../../schemas/manifest.ts';

const NUM_RUNS = 300;
const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

const name = fc.oneof(
  fc.constantFrom(
    'rstudio',
    'code',
    'api',
    '_hubify',
    'logout',
    'oauth_callback',
    '..',
    '.',
    '%2e',
    'a/b',
    'A',
    'x-',
    '-x',
    '',
    'é',
    'a'.repeat(70),
  ),
  fc.stringMatching(/^[a-z0-9-]{1,10}$/),
  fc.string({ maxLength: 8 }),
);
const text = fc.oneof(
  fc.constantFrom(
    '{port}',
    '{{port}}',
    '{nope}',
    '{',
    '}',
    '{{',
    '}}',
    '{app_url}',
    '{user}',
    '{home}',
    '{base_url}',
    '{unix_socket}',
    '%',
    '\n',
    '"',
  ),
  fc.string({ maxLength: 10 }),
);
const app = fc.record(
  {
    name,
    title: fc.oneof(fc.string({ maxLength: 10 }), fc.integer()),
    command: fc.oneof(fc.array(text, { maxLength: 4 }), text, fc.constant(null)),
    port: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.constantFrom('88a', '8080', null)),
    environment: fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(text, fc.integer())),
    stripPrefix: fc.oneof(fc.boolean(), fc.constant('yes')),
    start: fc.constantFrom('lazy', 'eager', 'sometimes'),
    readiness: fc.record(
      {
        path: fc.oneof(text, fc.constantFrom('/', '//evil', '../x')),
        timeout: fc.oneof(fc.integer({ min: -1, max: 1000 }), fc.constant('x')),
      },
      { requiredKeys: [] },
    ),
    requestHeaders: fc.dictionary(fc.string({ maxLength: 8 }), text),
  },
  { requiredKeys: ['name'] },
);
/** Close to valid: names that are often fine, sometimes reserved or repeated; a plain command. */
const plausibleApp = fc.record({
  name: fc.oneof(
    fc.stringMatching(/^[a-z][a-z0-9-]{0,8}[a-z0-9]$/),
    fc.constantFrom(...RESERVED_APP_NAMES, 'rstudio', 'rstudio', 'x'),
  ),
  command: fc.constant(['node', 'app.js', '--port', '{port}']),
});
const manifestData = fc.oneof(
  fc.record({ schemaVersion: fc.constant(1), apps: fc.array(plausibleApp, { minLength: 1, maxLength: 4 }) }),
  fc.record(
    {
      schemaVersion: fc.constantFrom(1, 2, '1'),
      apps: fc.array(app, { maxLength: 4 }),
      defaultApp: fc.option(name, { nil: undefined }),
    },
    { requiredKeys: ['schemaVersion', 'apps'] },
  ),
  fc.jsonValue({ maxDepth: 3 }),
);

let acceptedApps = 0;

function checkAccepted(result: ReturnType<typeof checkManifestData>): void {
  if (!result.ok) {
    expect(result.issues.length).toBeGreaterThan(0);
    for (const issue of result.issues) expect(typeof issue.message).toBe('string');
    return;
  }
  const names = result.manifest.apps.map((a) => a.name);
  acceptedApps += names.length;
  expect(new Set(names).size).toBe(names.length);
  for (const appName of names) {
    expect(appName).toMatch(APP_NAME);
    expect(RESERVED_APP_NAMES).not.toContain(appName);
    // The app's mount point is a safe path below any prefix.
    expect(unsafePathReason(`/user/alice/${appName}/`)).toBeNull();
  }
}

describe('fuzz: manifest parsing', () => {
  it('structured data: always a result; accepted apps have safe, unique, unreserved names', () => {
    fc.assert(
      fc.property(manifestData, (data) => checkAccepted(checkManifestData(data, 'fuzz'))),
      { numRuns: NUM_RUNS },
    );
    // The property is not vacuous: some generated manifests were accepted with apps in them.
    expect(acceptedApps).toBeGreaterThan(0);
  });

  it('the same data as JSON text, and arbitrary text (YAML), never throws', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          manifestData.map((d) => JSON.stringify(d) ?? 'null'),
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 100 }),
        ),
        (source) => checkAccepted(parseManifestText(source, 'fuzz.yaml')),
      ),
      // YAML parsing with located errors is the slow part: fewer runs keep unit time small.
      { numRuns: NUM_RUNS / 5 },
    );
  });
});

describe('fuzz: placeholders', () => {
  const values: PlaceholderValues = {
    port: '1234',
    unix_socket: '/tmp/s',
    base_url: '/user/alice/',
    app_url: '/user/alice/x/',
    user: 'alice',
    home: '/home/alice',
  };
  const template = fc.array(text, { maxLength: 8 }).map((parts) => parts.join(''));

  it('expansion never throws, and without {{ }} escapes leaves no known placeholder behind', () => {
    fc.assert(
      fc.property(template, (t) => {
        const out = expandPlaceholders(t, values);
        if (!t.includes('{{') && !t.includes('}}')) {
          for (const found of placeholdersIn(out))
            expect(PLACEHOLDER_NAMES as readonly string[]).not.toContain(found);
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('text without braces is returned unchanged, and values are inserted verbatim (no second expansion)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 30 }).map((s) => s.replace(/[{}]/g, '')),
        fc.string({ maxLength: 10 }),
        (plain, port) => {
          expect(expandPlaceholders(plain, values)).toBe(plain);
          expect(expandPlaceholders('{port}', { ...values, port: `{user}${port}` })).toBe(`{user}${port}`);
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
