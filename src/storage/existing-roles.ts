import type { Globals, RolePlan } from '../postgres/globals.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import { readServerRole, roleDifferences, validUntilOf, type RoleDifference } from '../postgres/role-differences.js';
import type { RolesDetails } from './role-details.js';

/** What a rebuild does about the roles the server already has. */
export interface ExistingRolesPlan {
  differences: NonNullable<RolesDetails['differences']>;
  /** With existing-roles: update, what brings them to the backup's roles (nothing is revoked or reset); none with keep. */
  statements: string[];
  /** The role-passwords entries to set: with keep, only those of roles the rebuild creates. */
  passwords: Record<string, string>;
}

/**
 * Compares each role the server already has and the rebuild meets (needed by the dump, joined to a
 * needed role by membership, or named by role-passwords) with the backup's role of that name.
 * With keep nothing of theirs changes and every difference is reported; with update the backup's
 * password (role-passwords), attributes, settings and memberships are given to them, and what only
 * the server has (a membership, a setting) is reported and left.
 */
export async function planExistingRoles(
  session: PsqlSession,
  globals: Globals | undefined,
  plan: RolePlan,
  passwords: Record<string, string>,
  mode: 'keep' | 'update',
): Promise<ExistingRolesPlan> {
  const created = new Set(plan.create.map((role) => role.name));
  const passwordsOfExisting = Object.keys(passwords).filter((role) => !created.has(role));
  const names = [...new Set([...plan.reached, ...passwordsOfExisting])].sort();
  const willExist = async (role: string) =>
    created.has(role) || (await readServerRole(session, role, undefined)) !== undefined;
  const found: RoleDifference[] = [];
  for (const name of names) {
    const backupRole = globals?.roles.get(name);
    const server = backupRole && (await readServerRole(session, name, validUntilOf(backupRole)));
    if (backupRole && server) found.push(...roleDifferences(backupRole, globals?.memberships ?? [], server));
    if (passwords[name] !== undefined)
      found.push({ role: name, kind: 'password', backup: 'role-passwords gives one', server: 'its own' });
  }
  const applied = new Set(plan.memberships);
  const statements: string[] = [];
  const differences: ExistingRolesPlan['differences'] = [];
  for (const { update, ...difference } of found) {
    // A membership in a role that neither the server has nor the rebuild creates cannot be granted.
    const grantable =
      difference.kind !== 'membership' || (await willExist(difference.backup.replace(/^member of /, '')));
    const updated = mode === 'update' && grantable && (update !== undefined || difference.kind === 'password');
    if (updated && update && !applied.has(update)) {
      statements.push(update);
      applied.add(update);
    }
    differences.push({ ...difference, updated });
  }
  const setPasswords = Object.fromEntries(
    Object.entries(passwords).filter(([role]) => mode === 'update' || created.has(role)),
  );
  return { differences, statements, passwords: setPasswords };
}

/** The differences in a line: `app: password (role-passwords gives one, the server its own), member of readers (-, the server -)`. */
export function describeDifferences(differences: NonNullable<RolesDetails['differences']>): string {
  const byRole = new Map<string, string[]>();
  for (const d of differences)
    byRole.set(d.role, [...(byRole.get(d.role) ?? []), `${d.kind} (backup ${d.backup}, server ${d.server})`]);
  return [...byRole].map(([role, items]) => `${role}: ${items.join(', ')}`).join('; ');
}
