/**
 * Who may use this server. Hub 2.0+: the token's scopes must satisfy one of the access scopes the hub
 * gave us (`access:servers`, `!user=`, `!server=`). Hub 1.x (no scopes): the owner, members of
 * JUPYTERHUB_GROUP, or admins when JUPYTERHUB_ADMIN_ACCESS=1.
 */
import type { HubIdentity } from '../hub-api.ts';

export interface AccessPolicy {
  owner: string;
  serverName: string;
  /** Null: the hub gave no scopes (1.x), decide by name. */
  accessScopes: string[] | null;
  adminAccess: boolean;
  group: string | null;
}

/** Does a held scope (possibly filtered with `!user=` / `!server=`) grant a required one? */
export function scopeGrants(held: string, required: string): boolean {
  if (held === required) return true;
  const [heldBase, heldFilter] = splitScope(held);
  const [requiredBase, requiredFilter] = splitScope(required);
  if (heldBase !== requiredBase) return false;
  if (heldFilter === null) return true; // unfiltered covers every filter
  if (requiredFilter === null) return false;
  if (heldFilter.kind === 'user' && requiredFilter.kind === 'server') {
    return requiredFilter.value.split('/')[0] === heldFilter.value;
  }
  return heldFilter.kind === requiredFilter.kind && heldFilter.value === requiredFilter.value;
}

function splitScope(scope: string): [string, { kind: string; value: string } | null] {
  const bang = scope.indexOf('!');
  if (bang < 0) return [scope, null];
  const filter = scope.slice(bang + 1);
  const eq = filter.indexOf('=');
  return [
    scope.slice(0, bang),
    eq < 0 ? { kind: filter, value: '' } : { kind: filter.slice(0, eq), value: filter.slice(eq + 1) },
  ];
}

export function isAllowed(identity: HubIdentity, policy: AccessPolicy): boolean {
  if (policy.accessScopes !== null && identity.scopes !== null) {
    return policy.accessScopes.some(
      (required) => identity.scopes?.some((held) => scopeGrants(held, required)) === true,
    );
  }
  // Without scopes on either side (hub 1.x, or a newer hub's deprecated 1.x lookup that omits them),
  // decide by name, never by letting everyone in.
  if (identity.kind === 'user' && identity.name === policy.owner) return true;
  if (policy.group !== null && identity.groups.includes(policy.group)) return true;
  return policy.adminAccess && identity.admin;
}
