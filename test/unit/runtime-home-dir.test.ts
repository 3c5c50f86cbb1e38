// The apps' home follows a volume mounted at /home/<name> (Zero-to-JupyterHub mounts /home/jovyan
// whatever the image's user), unless HOME itself is mounted or HUBIFY_HOME says otherwise.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readMountPoints, resolveHome } from '../../proxy/home-dir.ts';

const always = (): boolean => true;

describe('resolveHome', () => {
  it('keeps HOME when nothing is mounted under /home', () => {
    expect(resolveHome({ HOME: '/home/rstudio' }, ['/', '/proc', '/tmp'], always)).toEqual({
      home: '/home/rstudio',
      reason: 'HOME',
    });
  });

  it('follows the one writable volume mounted at /home/<name>', () => {
    const choice = resolveHome({ HOME: '/home/rstudio' }, ['/', '/home/jovyan', '/etc/hosts'], always);
    expect(choice.home).toBe('/home/jovyan');
    expect(choice.reason).toContain('/home/jovyan');
  });

  it('keeps HOME when HOME itself is the mounted volume', () => {
    expect(resolveHome({ HOME: '/home/rstudio' }, ['/home/rstudio', '/home/jovyan'], always).home).toBe(
      '/home/rstudio',
    );
  });

  it('ignores read-only mounts, nested paths and ambiguous choices', () => {
    expect(resolveHome({ HOME: '/root' }, ['/home/jovyan'], () => false).home).toBe('/root');
    expect(resolveHome({ HOME: '/root' }, ['/home/jovyan/data'], always).home).toBe('/root');
    expect(resolveHome({ HOME: '/root' }, ['/home/a', '/home/b'], always).home).toBe('/root');
  });

  it('lets HUBIFY_HOME decide', () => {
    expect(resolveHome({ HOME: '/root', HUBIFY_HOME: '/work' }, ['/home/jovyan'], always)).toEqual({
      home: '/work',
      reason: 'HUBIFY_HOME',
    });
  });

  it('reads mount points from mountinfo, unescaping octal escapes', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'hubify-mounts-')), 'mountinfo');
    writeFileSync(
      file,
      '22 1 8:1 / / rw,relatime - ext4 /dev/root rw\n' +
        '30 22 8:2 / /home/jovyan rw - ext4 /dev/sdb rw\n' +
        '31 22 8:3 / /home/with\\040space rw - ext4 /dev/sdc rw\n',
    );
    expect(readMountPoints(file)).toEqual(['/', '/home/jovyan', '/home/with space']);
    expect(readMountPoints(join(tmpdir(), 'does-not-exist'))).toEqual([]);
  });
});
