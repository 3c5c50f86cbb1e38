/**
 * `hubify inspect`'s human report: one labelled line per fact, a table of the apps with their
 * evidence, then notes and the reasons an image is unsupported.
 */
import type { ImageFacts, ImageUser } from '../image/image-facts.ts';

function user(entry: ImageUser): string {
  if (entry.uid < 0) return `${entry.name} (not in /etc/passwd)`;
  return `${entry.name} (uid ${entry.uid}, gid ${entry.gid}, home ${entry.home})`;
}

function argv(list: string[] | null): string {
  return list === null || list.length === 0 ? 'none' : JSON.stringify(list);
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, index) => (widths[index] = Math.max(widths[index] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, index) => (index === row.length - 1 ? cell : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

function libc(facts: ImageFacts): string {
  const { kind, version, evidence } = facts.libc;
  const name = kind === 'unknown' ? 'unknown' : `${kind}${version === null ? '' : ` ${version}`}`;
  return `${name} (${evidence})`;
}

/** The report `hubify inspect IMAGE` prints (ends with a newline). */
export function formatFacts(facts: ImageFacts): string {
  const { config } = facts;
  const lines = table([
    ['Image', facts.reference],
    ['Id', facts.id],
    ['Platform', `${facts.os}/${facts.architecture}`],
    ['libc', libc(facts)],
    ['User', `${user(facts.defaultUser)}, ${config.user === '' ? 'USER unset' : `USER ${config.user}`}`],
    ['Home', facts.defaultUser.home],
    [
      'Apps run as',
      facts.nonRootUser === null ? 'jovyan (uid 1000), added by the build' : user(facts.nonRootUser),
    ],
    ['Shell', facts.hasShell ? '/bin/sh' : 'none (no /bin/sh)'],
    ['PATH', facts.path.join(':')],
    ['Conda', facts.condaPrefixes.length === 0 ? 'none' : facts.condaPrefixes.join(', ')],
    ['Entrypoint', argv(config.entrypoint)],
    ['Cmd', argv(config.cmd)],
    ['Workdir', config.workdir === '' ? '/' : config.workdir],
    ['jupyterhub-singleuser', facts.jupyterhubSingleuser ?? 'none'],
  ]);
  lines.push('');
  if (facts.apps.length === 0) {
    lines.push(
      'Apps: none found (the launcher page will list none; add apps with hubify manifest generate --app or --manifest)',
    );
  } else {
    lines.push(`Apps (${facts.apps.length}):`);
    lines.push(
      ...table([
        ['NAME', 'TEMPLATE', 'EVIDENCE'],
        ...facts.apps.map((app) => [app.name, app.template, app.evidence]),
      ]).map((line) => `  ${line}`),
    );
  }
  if (facts.notes.length > 0) {
    lines.push('', 'Notes:', ...facts.notes.map((note) => `  - ${note}`));
  }
  lines.push('');
  if (facts.unsupported.length === 0) {
    lines.push('Supported: yes, hubify build can make this image hub-ready.');
  } else {
    lines.push('Unsupported:', ...facts.unsupported.map((reason) => `  - ${reason}`));
  }
  return `${lines.join('\n')}\n`;
}
