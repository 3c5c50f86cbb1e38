/**
 * /etc/passwd and /etc/group as text: parse them, and append a user (and its group when missing) the
 * way `useradd` would, without running anything in the image, so images without a shell work too.
 */

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  gecos: string;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** The user hubify adds to images that have no non-root user, as docker-stacks names it. */
export const DEFAULT_USER = {
  name: 'jovyan',
  uid: 1000,
  gid: 100,
  home: '/home/jovyan',
  groupName: 'users',
} as const;

function lines(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#') && !/^[+-]/.test(line))
    .map((line) => line.split(':'));
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text)
    .filter((fields) => fields.length >= 7)
    .map(([name = '', , uid = '', gid = '', gecos = '', home = '', shell = '']) => ({
      name,
      uid: Number(uid),
      gid: Number(gid),
      gecos,
      home,
      shell,
    }));
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text)
    .filter((fields) => fields.length >= 4)
    .map(([name = '', , gid = '', members = '']) => ({
      name,
      gid: Number(gid),
      members: members === '' ? [] : members.split(','),
    }));
}

export interface NewUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
  /** Name for the primary group if no group has `gid` yet. */
  groupName: string;
}

export interface AppendedUser {
  passwd: string;
  /** The new /etc/group text, or null when it needs no change (the group exists). */
  group: string | null;
  /** The primary group's name (existing or added). */
  groupName: string;
}

function withLine(text: string, line: string): string {
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
}

/** Why `user` cannot be added to these files, or null when it can. */
export function userConflict(passwd: string, user: Pick<NewUser, 'name' | 'uid'>): string | null {
  const entries = parsePasswd(passwd);
  const byName = entries.find((entry) => entry.name === user.name);
  if (byName !== undefined) return `a user named ${user.name} already exists (uid ${byName.uid})`;
  const byUid = entries.find((entry) => entry.uid === user.uid);
  if (byUid !== undefined) return `uid ${user.uid} is already taken by ${byUid.name}`;
  return null;
}

/** Appends `user` to passwd, and its primary group to group when no group has its gid. */
export function appendUser(passwd: string, group: string, user: NewUser): AppendedUser {
  const conflict = userConflict(passwd, user);
  if (conflict !== null) throw new Error(`cannot add the user ${user.name}: ${conflict}`);
  for (const field of [user.name, user.home, user.shell, user.groupName])
    if (/[:\n]/.test(field))
      throw new Error(`cannot add the user ${user.name}: ${JSON.stringify(field)} has ':' or a newline`);
  const passwdText = withLine(passwd, `${user.name}:x:${user.uid}:${user.gid}::${user.home}:${user.shell}`);
  const groups = parseGroup(group);
  const existing = groups.find((entry) => entry.gid === user.gid);
  if (existing !== undefined) return { passwd: passwdText, group: null, groupName: existing.name };
  const name = groups.some((entry) => entry.name === user.groupName) ? user.name : user.groupName;
  if (groups.some((entry) => entry.name === name))
    throw new Error(
      `cannot add a group for gid ${user.gid}: the names ${user.groupName} and ${user.name} are taken`,
    );
  return { passwd: passwdText, group: withLine(group, `${name}:x:${user.gid}:`), groupName: name };
}
