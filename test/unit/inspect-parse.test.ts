// The parsers behind `hubify inspect`, with in-memory inputs: passwd/group, USER forms, ENV, PATH,
// ldd and libc version texts, os-release, conda-meta names, console scripts, shiny-server.conf.
import { describe, expect, it } from 'vitest';
import { decodeGoFileMode } from '../../cli/inspect/image-fs.ts';
import {
  DEFAULT_PATH,
  compareVersions,
  glibcVersionFromBinary,
  glibcVersionFromFileName,
  isValidAppName,
  normaliseArchitecture,
  notebookMajorFromScript,
  parseCondaMetaName,
  parseEnv,
  parseEnvironmentsTxt,
  parseGroup,
  parseLddVersion,
  parseOsRelease,
  parsePasswd,
  parseUserSpec,
  pickNonRootUser,
  resolveUser,
  shinyServerSiteDir,
  slugify,
  splitPath,
  uniqueAppName,
} from '../../cli/inspect/parse.ts';

const PASSWD = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# a comment
_apt:x:42:65534::/nonexistent:/usr/sbin/nologin
broken line
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
shiny:x:999:999::/home/shiny:/bin/sh
rstudio:x:1000:1000::/home/rstudio:/bin/bash
ubuntu:x:1001:1001:Ubuntu:/home/ubuntu:/bin/bash
`;
const GROUP = `root:x:0:
staff:x:50:rstudio,ubuntu
users:x:100:
rstudio:x:1000:
`;
const users = parsePasswd(PASSWD);
const groups = parseGroup(GROUP);

describe('passwd and group', () => {
  it('reads every well-formed passwd line and skips comments and broken ones', () => {
    expect(users.map((user) => user.name)).toEqual([
      'root',
      'daemon',
      '_apt',
      'nobody',
      'shiny',
      'rstudio',
      'ubuntu',
    ]);
    expect(users.find((user) => user.name === 'rstudio')).toEqual({
      name: 'rstudio',
      uid: 1000,
      gid: 1000,
      home: '/home/rstudio',
      shell: '/bin/bash',
    });
  });

  it('reads groups with their members', () => {
    expect(groups).toContainEqual({ name: 'staff', gid: 50, members: ['rstudio', 'ubuntu'] });
    expect(groups).toContainEqual({ name: 'users', gid: 100, members: [] });
  });
});

describe('USER forms', () => {
  it.each([
    ['', { user: '', group: null }],
    ['rstudio', { user: 'rstudio', group: null }],
    ['1000', { user: '1000', group: null }],
    ['1000:100', { user: '1000', group: '100' }],
    ['rstudio:staff', { user: 'rstudio', group: 'staff' }],
    [' jovyan ', { user: 'jovyan', group: null }],
  ])('parses %j', (spec, parsed) => {
    expect(parseUserSpec(spec)).toEqual(parsed);
  });

  it('USER unset, root or 0 is root from passwd', () => {
    for (const spec of ['', 'root', '0']) {
      expect(resolveUser(spec, users, groups)).toEqual({ user: users[0], problem: null });
    }
  });

  it('a name or uid in passwd is that user; a group changes the gid', () => {
    expect(resolveUser('rstudio', users, groups).user.uid).toBe(1000);
    expect(resolveUser('1000', users, groups).user.name).toBe('rstudio');
    expect(resolveUser('1000:100', users, groups)).toEqual({
      user: { name: 'rstudio', uid: 1000, gid: 100, home: '/home/rstudio', shell: '/bin/bash' },
      problem: null,
    });
    expect(resolveUser('rstudio:staff', users, groups).user.gid).toBe(50);
  });

  it('a uid without a passwd entry works as the engine does it: home /, group 0, with a note', () => {
    const resolved = resolveUser('4242', users, groups);
    expect(resolved.user).toEqual({ name: '4242', uid: 4242, gid: 0, home: '/', shell: '' });
    expect(resolved.problem).toContain('uid 4242, which has no /etc/passwd entry');
  });

  it('an unknown name or group is a problem (the engine would refuse to start)', () => {
    const unknown = resolveUser('alice', users, groups);
    expect(unknown.user.uid).toBe(-1);
    expect(unknown.problem).toContain('"alice", which is not in /etc/passwd');
    expect(resolveUser('rstudio:nogroup', users, groups).problem).toContain('the group "nogroup"');
  });

  it('no passwd at all: root is still root', () => {
    expect(resolveUser('', [], []).user).toEqual({
      name: 'root',
      uid: 0,
      gid: 0,
      home: '/root',
      shell: '/bin/sh',
    });
  });
});

describe('the non-root user apps run as', () => {
  const root = users[0]!;
  it('is the default user when it is a regular one', () => {
    const ubuntu = users.find((user) => user.name === 'ubuntu')!;
    expect(pickNonRootUser(users, ubuntu, {})).toBe(ubuntu);
  });

  it('else the one NB_USER or DEFAULT_USER names, else the lowest regular uid', () => {
    expect(pickNonRootUser(users, root, { DEFAULT_USER: 'ubuntu' })?.name).toBe('ubuntu');
    expect(pickNonRootUser(users, root, { NB_USER: 'ubuntu', DEFAULT_USER: 'rstudio' })?.name).toBe('ubuntu');
    expect(pickNonRootUser(users, root, {})?.name).toBe('rstudio');
  });

  it('never a system user (shiny 999) or nobody (65534)', () => {
    const system = parsePasswd(
      'root:x:0:0::/root:/bin/sh\nshiny:x:999:999::/home/shiny:/bin/sh\nnobody:x:65534:65534::/:/bin/false\n',
    );
    expect(pickNonRootUser(system, system[0]!, { DEFAULT_USER: 'shiny' })).toBeNull();
  });

  it('not a default uid that has no passwd entry', () => {
    const nameless = resolveUser('4242', users, groups).user;
    expect(pickNonRootUser(users, nameless, {})?.name).toBe('rstudio');
  });
});

describe('ENV and PATH', () => {
  it('reads NAME=value pairs, values may hold =, later ones win', () => {
    expect(parseEnv(['A=1', 'B=x=y', 'A=2', 'EMPTY=', 'junk'])).toEqual({ A: '2', B: 'x=y', EMPTY: '' });
    expect(parseEnv(null)).toEqual({});
  });

  it('splits PATH, drops relative and empty entries and duplicates; the engine default when unset', () => {
    expect(splitPath('/opt/conda/bin:/usr/bin::bin:/usr/bin/:/bin')).toEqual([
      '/opt/conda/bin',
      '/usr/bin',
      '/bin',
    ]);
    expect(splitPath(undefined)).toEqual(DEFAULT_PATH.split(':'));
  });
});

describe('libc versions', () => {
  it('reads the version ldd echoes', () => {
    expect(
      parseLddVersion(
        `    --vers | --versi | --versio | --version)\n    echo 'ldd (Debian GLIBC 2.36-9+deb12u14) 2.36'`,
      ),
    ).toBe('2.36');
    expect(parseLddVersion(`echo 'ldd (Ubuntu GLIBC 2.39-0ubuntu8.3) 2.39'`)).toBe('2.39');
    expect(parseLddVersion(`echo $"ldd (GNU libc) 2.28"`)).toBe('2.28');
    expect(parseLddVersion('#!/bin/sh\necho hello')).toBeNull();
  });

  it('reads the version of an old libc file name (before glibc 2.34)', () => {
    expect(glibcVersionFromFileName('/usr/lib/x86_64-linux-gnu/libc-2.31.so')).toBe('2.31');
    expect(glibcVersionFromFileName('/lib64/libc-2.17.so')).toBe('2.17');
    expect(glibcVersionFromFileName('/usr/lib/x86_64-linux-gnu/libc.so.6')).toBeNull();
  });

  it("reads glibc's banner from the library itself", () => {
    const binary = Buffer.concat([
      Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0]),
      Buffer.from('GNU C Library (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\n'),
    ]);
    expect(glibcVersionFromBinary(binary)).toBe('2.36');
    expect(glibcVersionFromBinary(Buffer.from('nothing here'))).toBeNull();
  });

  it('compares versions numerically', () => {
    expect(compareVersions('2.9', '2.28')).toBeLessThan(0);
    expect(compareVersions('2.28', '2.28')).toBe(0);
    expect(compareVersions('2.36', '2.28')).toBeGreaterThan(0);
    expect(compareVersions('2.28.1', '2.28')).toBeGreaterThan(0);
  });
});

describe('os-release', () => {
  it('reads quoted and bare values', () => {
    const fields = parseOsRelease(
      'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n# x\n',
    );
    expect(fields).toEqual({ PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)', ID: 'debian', VERSION_ID: '12' });
    expect(parseOsRelease("NAME='Alpine Linux'\nID=alpine").NAME).toBe('Alpine Linux');
  });
});

describe('conda', () => {
  it.each([
    [
      'notebook-6.4.12-hubify_fixture_0.json',
      { name: 'notebook', version: '6.4.12', build: 'hubify_fixture_0' },
    ],
    ['r-shiny-1.8.0-r43hc72bb7e_0.json', { name: 'r-shiny', version: '1.8.0', build: 'r43hc72bb7e_0' }],
    [
      'conda-meta/_libgcc_mutex-0.1-conda_forge.json',
      { name: '_libgcc_mutex', version: '0.1', build: 'conda_forge' },
    ],
    [
      'jupyter_server-2.14.2-pyhd8ed1ab_0.json',
      { name: 'jupyter_server', version: '2.14.2', build: 'pyhd8ed1ab_0' },
    ],
  ])('reads the conda-meta file name %s', (file, expected) => {
    expect(parseCondaMetaName(file)).toEqual(expected);
  });

  it('ignores what is not a package record', () => {
    expect(parseCondaMetaName('history')).toBeNull();
    expect(parseCondaMetaName('pinned')).toBeNull();
    expect(parseCondaMetaName('odd-1.json')).toBeNull();
  });

  it("reads conda's environments.txt", () => {
    expect(parseEnvironmentsTxt('/opt/conda\n/opt/conda/envs/r/\n\nrelative\n')).toEqual([
      '/opt/conda',
      '/opt/conda/envs/r',
    ]);
  });
});

describe('Notebook 6 or 7 from its console script', () => {
  it('an easy-install script names the requirement (Debian)', () => {
    const script = `#!/usr/bin/python3\n# EASY-INSTALL-ENTRY-SCRIPT: 'notebook==6.4.12','console_scripts','jupyter-notebook'\n__requires__ = 'notebook==6.4.12'\n`;
    expect(notebookMajorFromScript(script)).toEqual({ major: 6, version: '6.4.12' });
  });

  it('a pip or conda script imports notebook.notebookapp (6) or notebook.app (7)', () => {
    expect(
      notebookMajorFromScript('#!/opt/conda/bin/python\nimport sys\nfrom notebook.notebookapp import main\n'),
    ).toEqual({
      major: 6,
      version: null,
    });
    expect(
      notebookMajorFromScript('#!/opt/conda/bin/python\nimport sys\nfrom notebook.app import main\n'),
    ).toEqual({
      major: 7,
      version: null,
    });
    expect(notebookMajorFromScript('\x7fELF binary')).toBeNull();
  });
});

describe('shiny-server.conf', () => {
  it('finds the first site_dir', () => {
    const config =
      'run_as shiny;\nserver {\n  listen 3838;\n  location / {\n    site_dir /srv/shiny-server;\n    log_dir /var/log/shiny-server;\n  }\n}\n';
    expect(shinyServerSiteDir(config)).toBe('/srv/shiny-server');
    expect(shinyServerSiteDir('server { listen 3838; }')).toBeNull();
  });
});

describe('app names', () => {
  it('makes directory names into valid app names', () => {
    expect(slugify('Hello World_App')).toBe('hello-world-app');
    expect(slugify('--x--')).toBe('x');
    expect(slugify('a'.repeat(80))).toHaveLength(63);
  });

  it('keeps names unique and away from reserved or taken ones', () => {
    const taken = new Set(['rstudio']);
    expect(uniqueAppName('hello', 'shiny', taken)).toBe('hello');
    expect(uniqueAppName('Hello', 'shiny', taken)).toBe('shiny-hello');
    expect(uniqueAppName('hello', 'shiny', taken)).toBe('shiny-hello-2');
    expect(uniqueAppName('api', 'shiny', taken)).toBe('shiny-api');
    expect(uniqueAppName('rstudio', 'shiny', taken)).toBe('shiny-rstudio');
    expect(uniqueAppName('___', 'shiny', taken)).toBe('shiny');
    for (const name of taken) expect(isValidAppName(name), name).toBe(true);
  });
});

describe('engine facts', () => {
  it('normalises architecture names', () => {
    expect(normaliseArchitecture('x86_64')).toBe('amd64');
    expect(normaliseArchitecture('aarch64')).toBe('arm64');
    expect(normaliseArchitecture('arm64')).toBe('arm64');
    expect(normaliseArchitecture('s390x')).toBe('s390x');
  });

  it("decodes the engine's path-stat mode (a Go FileMode)", () => {
    expect(decodeGoFileMode(0o755)).toEqual({ kind: 'file', permissions: 0o755 });
    expect(decodeGoFileMode(2 ** 31 + 0o755)).toEqual({ kind: 'dir', permissions: 0o755 });
    expect(decodeGoFileMode(134218239)).toEqual({ kind: 'symlink', permissions: 0o777 });
    expect(decodeGoFileMode(2 ** 31 + 2 ** 20 + 0o777)).toEqual({ kind: 'dir', permissions: 0o1777 });
    expect(decodeGoFileMode(2 ** 23 + 0o755)).toEqual({ kind: 'file', permissions: 0o4755 });
    expect(decodeGoFileMode(2 ** 24 + 0o755).kind).toBe('other');
  });
});
