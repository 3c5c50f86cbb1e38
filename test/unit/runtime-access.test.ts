// Access decisions (proxy/auth/access.ts): scope filters as the hub expands them (hub 2.0+), and the
// hub 1.x fallback by name, group and admin flag.
import { describe, expect, it } from 'vitest';

import { isAllowed, scopeGrants, type AccessPolicy } from '../../proxy/auth/access.ts';
import type { HubIdentity } from '../../proxy/hub-api.ts';

function identity(overrides: Partial<HubIdentity> = {}): HubIdentity {
  return { kind: 'user', name: 'alice', admin: false, groups: [], scopes: [], sessionId: null, ...overrides };
}

/** What a hub 3.0+ gives the default server of alice. */
const HUB2_POLICY: AccessPolicy = {
  owner: 'alice',
  serverName: '',
  accessScopes: ['access:servers!server=alice/', 'access:servers!user=alice'],
  adminAccess: false,
  group: null,
};

const GPU_POLICY: AccessPolicy = {
  ...HUB2_POLICY,
  serverName: 'gpu',
  accessScopes: ['access:servers!server=alice/gpu', 'access:servers!user=alice'],
};

const HUB1_POLICY: AccessPolicy = {
  owner: 'alice',
  serverName: '',
  accessScopes: null,
  adminAccess: false,
  group: null,
};

describe('scopeGrants', () => {
  it('an identical scope grants', () => {
    expect(scopeGrants('access:servers!server=alice/', 'access:servers!server=alice/')).toBe(true);
    expect(scopeGrants('access:servers', 'access:servers')).toBe(true);
  });

  it('the bare scope covers every filter', () => {
    expect(scopeGrants('access:servers', 'access:servers!server=alice/')).toBe(true);
    expect(scopeGrants('access:servers', 'access:servers!server=alice/gpu')).toBe(true);
    expect(scopeGrants('access:servers', 'access:servers!user=alice')).toBe(true);
    expect(scopeGrants('access:servers', 'access:servers!group=staff')).toBe(true);
  });

  it('a filtered scope never covers the bare scope', () => {
    expect(scopeGrants('access:servers!user=alice', 'access:servers')).toBe(false);
    expect(scopeGrants('access:servers!server=alice/', 'access:servers')).toBe(false);
  });

  it('!user= covers every server of that user and the user filter itself', () => {
    expect(scopeGrants('access:servers!user=alice', 'access:servers!user=alice')).toBe(true);
    expect(scopeGrants('access:servers!user=alice', 'access:servers!server=alice/')).toBe(true);
    expect(scopeGrants('access:servers!user=alice', 'access:servers!server=alice/gpu')).toBe(true);
  });

  it('!user= does not cover other users, including prefixes and extensions of the name', () => {
    expect(scopeGrants('access:servers!user=bob', 'access:servers!server=alice/')).toBe(false);
    expect(scopeGrants('access:servers!user=bob', 'access:servers!user=alice')).toBe(false);
    expect(scopeGrants('access:servers!user=ali', 'access:servers!server=alice/')).toBe(false);
    expect(scopeGrants('access:servers!user=alice2', 'access:servers!server=alice/')).toBe(false);
    expect(scopeGrants('access:servers!user=alice', 'access:servers!server=alice2/')).toBe(false);
  });

  it('!server=alice/ is the default server only; !server=alice/gpu is gpu only', () => {
    expect(scopeGrants('access:servers!server=alice/', 'access:servers!server=alice/gpu')).toBe(false);
    expect(scopeGrants('access:servers!server=alice/gpu', 'access:servers!server=alice/')).toBe(false);
    expect(scopeGrants('access:servers!server=alice/gpu', 'access:servers!server=alice/gpu')).toBe(true);
    expect(scopeGrants('access:servers!server=alice/gpu', 'access:servers!server=alice/gpu2')).toBe(false);
  });

  it('a server filter does not cover the user filter', () => {
    expect(scopeGrants('access:servers!server=alice/', 'access:servers!user=alice')).toBe(false);
  });

  it('group filters only match themselves (they cannot be resolved here)', () => {
    expect(scopeGrants('access:servers!group=staff', 'access:servers!group=staff')).toBe(true);
    expect(scopeGrants('access:servers!group=staff', 'access:servers!server=alice/')).toBe(false);
    expect(scopeGrants('access:servers!group=staff', 'access:servers!user=alice')).toBe(false);
  });

  it('other scopes never grant access', () => {
    for (const held of [
      'admin:servers',
      'servers',
      'read:servers!server=alice/',
      'access:services',
      'access:servers-extra',
      'access:server!server=alice/',
      'users:activity!user=alice',
      'self',
      'inherit',
    ]) {
      expect(scopeGrants(held, 'access:servers!server=alice/'), held).toBe(false);
    }
  });
});

describe('isAllowed with scopes (hub 2.0+)', () => {
  it('lets the owner in with the scopes the hub puts on her token', () => {
    expect(
      isAllowed(
        identity({ scopes: ['access:servers!server=alice/', 'read:users:name!user=alice'] }),
        HUB2_POLICY,
      ),
    ).toBe(true);
    expect(isAllowed(identity({ scopes: ['access:servers!user=alice'] }), HUB2_POLICY)).toBe(true);
    expect(isAllowed(identity({ scopes: ['access:servers!user=alice'] }), GPU_POLICY)).toBe(true);
  });

  it('lets in anyone holding bare access:servers (the admin role has it, no admin special case)', () => {
    expect(isAllowed(identity({ name: 'root', admin: true, scopes: ['access:servers'] }), HUB2_POLICY)).toBe(
      true,
    );
    expect(isAllowed(identity({ name: 'root', admin: true, scopes: ['access:servers'] }), GPU_POLICY)).toBe(
      true,
    );
  });

  it('lets a visitor in with a share of exactly this server', () => {
    expect(
      isAllowed(identity({ name: 'bob', scopes: ['access:servers!server=alice/gpu'] }), GPU_POLICY),
    ).toBe(true);
    expect(isAllowed(identity({ name: 'bob', scopes: ['access:servers!server=alice/'] }), GPU_POLICY)).toBe(
      false,
    );
    expect(
      isAllowed(identity({ name: 'bob', scopes: ['access:servers!server=alice/gpu'] }), HUB2_POLICY),
    ).toBe(false);
  });

  it('refuses other users with their own scopes', () => {
    const bob = identity({
      name: 'bob',
      scopes: [
        'access:servers!server=bob/',
        'access:servers!user=bob',
        'read:users!user=bob',
        'access:servers!group=staff',
      ],
    });
    expect(isAllowed(bob, HUB2_POLICY)).toBe(false);
    expect(isAllowed(bob, GPU_POLICY)).toBe(false);
  });

  it('decides by scopes only: the owner’s name without scopes is not enough, an admin flag is not either', () => {
    expect(isAllowed(identity({ scopes: [] }), HUB2_POLICY)).toBe(false);
    expect(isAllowed(identity({ scopes: ['read:users!user=alice'] }), HUB2_POLICY)).toBe(false);
    expect(
      isAllowed(identity({ name: 'root', admin: true, scopes: ['admin:users'] }), {
        ...HUB2_POLICY,
        adminAccess: true,
      }),
    ).toBe(false);
    expect(
      isAllowed(identity({ name: 'carol', groups: ['staff'], scopes: [] }), {
        ...HUB2_POLICY,
        group: 'staff',
      }),
    ).toBe(false);
  });

  it('lets services in when they hold the scope, and only then', () => {
    const culler = identity({ kind: 'service', name: 'idle-culler', scopes: ['access:servers'] });
    expect(isAllowed(culler, HUB2_POLICY)).toBe(true);
    const grader = identity({ kind: 'service', name: 'grader', scopes: ['access:servers!user=alice'] });
    expect(isAllowed(grader, GPU_POLICY)).toBe(true);
    const other = identity({ kind: 'service', name: 'alice', scopes: ['read:users'] });
    expect(isAllowed(other, HUB2_POLICY)).toBe(false);
  });

  it('with an empty list of access scopes, nobody gets in (fail closed)', () => {
    expect(isAllowed(identity({ scopes: ['access:servers'] }), { ...HUB2_POLICY, accessScopes: [] })).toBe(
      false,
    );
  });
});

describe('isAllowed without scopes (hub 1.x, or the deprecated 1.x lookup on a newer hub)', () => {
  it('lets the owner in by name', () => {
    expect(isAllowed(identity({ scopes: null }), HUB1_POLICY)).toBe(true);
    // A newer hub's /authorizations/token lookup omits scopes even though the policy has some.
    expect(isAllowed(identity({ scopes: null }), HUB2_POLICY)).toBe(true);
    // A hub 1.x policy with a model that does carry scopes still decides by name.
    expect(isAllowed(identity({ scopes: ['access:servers'], name: 'bob' }), HUB1_POLICY)).toBe(false);
  });

  it('refuses other users', () => {
    expect(isAllowed(identity({ name: 'bob', scopes: null }), HUB1_POLICY)).toBe(false);
    expect(isAllowed(identity({ name: 'Alice', scopes: null }), HUB1_POLICY)).toBe(false);
    expect(isAllowed(identity({ name: '', scopes: null }), HUB1_POLICY)).toBe(false);
  });

  it('lets members of JUPYTERHUB_GROUP in', () => {
    const policy = { ...HUB1_POLICY, group: 'staff' };
    expect(isAllowed(identity({ name: 'bob', groups: ['students', 'staff'], scopes: null }), policy)).toBe(
      true,
    );
    expect(isAllowed(identity({ name: 'bob', groups: ['students'], scopes: null }), policy)).toBe(false);
    expect(isAllowed(identity({ name: 'bob', groups: ['staff'], scopes: null }), HUB1_POLICY)).toBe(false);
  });

  it('lets admins in only with JUPYTERHUB_ADMIN_ACCESS', () => {
    const admin = identity({ name: 'root', admin: true, scopes: null });
    expect(isAllowed(admin, HUB1_POLICY)).toBe(false);
    expect(isAllowed(admin, { ...HUB1_POLICY, adminAccess: true })).toBe(true);
    expect(
      isAllowed(identity({ name: 'bob', admin: false, scopes: null }), { ...HUB1_POLICY, adminAccess: true }),
    ).toBe(false);
  });

  it('does not let a service in because its name equals the owner’s', () => {
    expect(isAllowed(identity({ kind: 'service', name: 'alice', scopes: null }), HUB1_POLICY)).toBe(false);
  });
});
