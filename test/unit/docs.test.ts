// The README is the reference for the runtime: every environment variable and flag the runtime reads,
// every identity header it sets, every error code it prints and every URL path it owns must be there.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES, FLAGS } from '../../proxy/config.ts';
import { IDENTITY_HEADERS } from '../../proxy/identity.ts';
import { helpText } from '../../proxy/main.ts';
import { RESERVED_APP_NAMES } from '../../proxy/app-spec.ts';

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const proxySources = ['main.ts', 'server.ts', 'config.ts']
  .map((file) => readFileSync(new URL(`../../proxy/${file}`, import.meta.url), 'utf8'))
  .join('\n');

describe('README documents the runtime', () => {
  it('lists every environment variable the runtime reads, and --help does too', () => {
    for (const [name] of ENVIRONMENT_VARIABLES) {
      expect.soft(readme, name).toContain(`\`${name}\``);
      expect.soft(helpText(), name).toContain(name);
    }
  });

  it('lists every flag', () => {
    for (const [flag] of FLAGS) {
      const name = flag.split(/[ =,]/)[0] ?? flag;
      expect.soft(readme, name).toContain(name);
    }
  });

  it('lists every identity header', () => {
    for (const header of Object.values(IDENTITY_HEADERS)) {
      const documented = header.replace(
        /(^|-)(\w)/g,
        (_m, dash: string, letter: string) => dash + letter.toUpperCase(),
      );
      expect.soft(readme.toLowerCase(), header).toContain(documented.toLowerCase());
    }
  });

  it('lists every HUBIFY_ error code the runtime prints', () => {
    const codes = new Set(proxySources.match(/HUBIFY_[A-Z_]+(?=['\]"`])/g) ?? []);
    const envNames = new Set(ENVIRONMENT_VARIABLES.map(([name]) => name));
    for (const code of codes) {
      if (envNames.has(code)) continue;
      expect.soft(readme, code).toContain(code);
    }
    expect(codes.size).toBeGreaterThan(3);
  });

  it('lists the reserved app names', () => {
    for (const name of RESERVED_APP_NAMES) expect.soft(readme).toContain(`\`${name}\``);
  });
});

describe('cli/README documents the CLI', () => {
  it('lists every CLI error code', async () => {
    const { CLI_ERROR_CODES } = await import('../../cli/errors.ts');
    const cliReadme = readFileSync(new URL('../../cli/README.md', import.meta.url), 'utf8');
    for (const code of Object.keys(CLI_ERROR_CODES)) expect.soft(cliReadme, code).toContain(`\`${code}\``);
  });
});
