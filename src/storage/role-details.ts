import type { RoleDifference } from '../postgres/role-differences.js';

/** What the report says of the roles a backup depends on, as this run found and made them on the target. */
export interface RolesDetails {
  mode: 'rebuild' | 'scratch';
  /** The roles the manifest lists (owners and grantees of the dump's entries). */
  needed: string[];
  /** Needed roles the target lacks (and, in a rebuild, that the stored globals could not create). */
  missing: string[];
  /** Roles this run created from the stored globals (rebuild). */
  created: string[];
  /** Roles the dump needs that the target already had. */
  existing: string[];
  /** What a rebuild does to roles the server already has (existing-roles): keep leaves them as they are, update brings them to the backup's. */
  existingRoles?: 'keep' | 'update';
  /**
   * How each role the server already had (the ones the rebuild met: needed, joined to a needed
   * role by membership, or named by role-passwords) differs from the backup's; `updated` when this run changed it.
   */
  differences?: (Omit<RoleDifference, 'update'> & { updated: boolean })[];
  /** Login roles created without a password: set one (ALTER ROLE ... PASSWORD, or role-passwords) before the application connects. */
  needPassword: string[];
  /** Roles whose password role-passwords set (names only). */
  passwordsSet: string[];
  /** The stored globals: their key, or why there are none. */
  globals: string;
  /** The database's own settings applied after the restore (rebuild). */
  databaseSettings?: number;
  /** Ownership and grants compared after the restore (rebuild). */
  ownership?: {
    role: string;
    expected: { owns: number; grants: number };
    restored: { owns: number; grants: number };
  }[];
}
