import { databaseStatements, parseGlobals, planRoles, type RolePlan } from '../postgres/globals.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { quoteIdent, quoteLiteral } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import { scramVerifier } from '../postgres/role-sql.js';
import { openMaintenance } from '../postgres/scratch-database.js';
import { withSession } from '../postgres/with-session.js';
import { StepFailure } from '../report/step-pipeline.js';
import { plural } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import type { BackupStore } from './backup-store.js';
import { readGlobals } from './globals-read.js';
import type { GlobalsRecord } from './globals-record.js';
import type { BackupManifest } from './manifest.js';
import { describeDifferences, planExistingRoles } from './existing-roles.js';
import type { RolesDetails } from './role-details.js';

/**
 * The roles a stored backup depends on, on the server it is restored to: looked for (a scratch
 * restore), or created from the globals stored beside the backup where the server lacks them (a
 * rebuild, a recovery), before anything is restored. Roles the server has are never altered,
 * unless existingRoles is update.
 */
export interface RolesContext {
  /** The database to restore into; roles are server-wide, so its server is what counts. */
  target: DatabaseTarget;
  rolePasswords: Readonly<Record<string, string>>;
  /** What happens to roles the server already has: keep leaves them as they are (the default everywhere), update brings them to the backup's. */
  existingRoles: 'keep' | 'update';
  store: BackupStore;
  details: { roles?: RolesDetails };
  log: Logger;
}

export interface RolesResult {
  detail: string;
  /** The database's own statements from the stored globals, for after the restore (rebuild). */
  databaseSql?: string[];
}

const list = (names: readonly string[]) => names.join(', ');

const withMaintenance = <T>(
  ctx: RolesContext,
  psqlPath: string,
  use: (session: PsqlSession) => Promise<T>,
): Promise<T> => withSession(openMaintenance(ctx.target, psqlPath), use);

function describeGlobals(record: GlobalsRecord | undefined): string {
  if (!record) return 'none: the backup was made before globals were stored';
  if (record.status === 'stored') return record.key;
  return record.status === 'off' ? 'none: the backup was made with globals: off' : `missing: ${record.reason}`;
}

/** The roles step of a scratch restore: which of the roles the dump depends on the target lacks, reported (the restore then goes without owners). */
export async function findRolesStep(
  ctx: RolesContext,
  manifest: BackupManifest | undefined,
  psqlPath: string,
): Promise<RolesResult> {
  const needed = (manifest?.roles ?? []).map((r) => r.name);
  const onTarget = await withMaintenance(ctx, psqlPath, rolesOn);
  return reportRoles(ctx, needed, onTarget, describeGlobals(manifest?.globals));
}

/** The roles step of a rebuild: creates what the dump needs from the stored globals, or fails before anything is restored. */
export async function createRolesStep(
  ctx: RolesContext,
  manifest: BackupManifest | undefined,
  psqlPath: string,
): Promise<RolesResult> {
  if (!manifest?.roles) {
    throw new StepFailure('the backup lists no roles', [
      `roles: a rebuild needs a backup whose manifest lists the roles it depends on (taken with globals: required); ${manifest ? 'this one was taken with globals: off or by an older version' : 'this one has no manifest'}. Nothing was restored`,
    ]);
  }
  return withMaintenance(ctx, psqlPath, async (session) => createRoles(ctx, session, manifest, await rolesOn(session)));
}

async function rolesOn(session: PsqlSession): Promise<Set<string>> {
  return new Set((await session.query('SELECT rolname FROM pg_roles')).map((row) => String(row[0])));
}

function reportRoles(ctx: RolesContext, needed: string[], onTarget: ReadonlySet<string>, globals: string): RolesResult {
  const missing = needed.filter((name) => !onTarget.has(name));
  ctx.details.roles = {
    mode: 'scratch',
    needed,
    missing,
    created: [],
    existing: needed.filter((name) => onTarget.has(name)),
    needPassword: [],
    passwordsSet: [],
    globals,
  };
  if (missing.length === 0) return { detail: `all ${needed.length} roles the dump depends on exist on the target` };
  const who = ctx.target.user ?? 'the restoring user';
  const detail = `${missing.length} of ${needed.length} roles the dump depends on are missing on the target: ${list(missing)}; restored without owners and privileges (--no-owner --no-privileges), so ${who} owns everything: a rebuild (rebuild: true) creates them from the stored globals`;
  ctx.log.warning(`roles: ${detail}`);
  return { detail };
}

function checkPlan(
  ctx: RolesContext,
  plan: RolePlan,
  record: GlobalsRecord | undefined,
  onTarget: ReadonlySet<string>,
): void {
  if (plan.missing.length) {
    const why =
      record?.status === 'stored'
        ? "the backup's stored globals do not have them either"
        : `the backup has no stored globals (${describeGlobals(record)})`;
    throw new StepFailure(`missing roles: ${list(plan.missing)}`, [
      `roles: the dump depends on roles the target does not have: ${list(plan.missing)}; ${why}. Nothing was restored: create them (CREATE ROLE) or rebuild from a backup taken with globals: required`,
    ]);
  }
  const known = (role: string) => onTarget.has(role) || plan.create.some((r) => r.name === role);
  const unknown = Object.keys(ctx.rolePasswords).filter((role) => !known(role));
  if (unknown.length) {
    throw new StepFailure(`role-passwords names unknown roles`, [
      `roles: role-passwords names ${list(unknown)}, which neither the target nor the rebuilt roles have; fix the names in role-passwords. Nothing was restored`,
    ]);
  }
}

async function createRoles(
  ctx: RolesContext,
  session: PsqlSession,
  manifest: BackupManifest,
  onTarget: ReadonlySet<string>,
): Promise<RolesResult> {
  const needed = (manifest.roles ?? []).map((r) => r.name);
  const record = manifest.globals;
  const globals = record?.status === 'stored' ? parseGlobals(await readGlobals(ctx.store, record)) : undefined;
  const mode = ctx.existingRoles;
  const plan: RolePlan = globals
    ? planRoles(globals, needed, onTarget, mode === 'keep')
    : {
        create: [],
        memberships: [],
        missing: needed.filter((name) => !onTarget.has(name)),
        existing: needed.filter((name) => onTarget.has(name)),
        reached: needed.filter((name) => onTarget.has(name)),
      };
  const needPassword = plan.create.filter((r) => r.login && ctx.rolePasswords[r.name] === undefined).map((r) => r.name);
  ctx.details.roles = {
    mode: 'rebuild',
    needed,
    missing: plan.missing,
    created: [],
    existing: plan.existing,
    existingRoles: mode,
    differences: [],
    needPassword,
    passwordsSet: [],
    globals: describeGlobals(record),
  };
  checkPlan(ctx, plan, record, onTarget);
  const existing = await planExistingRoles(session, globals, plan, ctx.rolePasswords, mode);
  ctx.details.roles.differences = existing.differences;

  // One transaction: a role that cannot be made (SUPERUSER where the user may not) leaves none half-made.
  await session.query('BEGIN');
  for (const role of plan.create) for (const statement of role.statements) await session.query(statement);
  for (const statement of [...plan.memberships, ...existing.statements]) await session.query(statement);
  // A SCRAM verifier, not the password: the server never sees the password, nor logs it.
  for (const [role, password] of Object.entries(existing.passwords))
    await session.query(`ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(scramVerifier(password))}`);
  await session.query('COMMIT');

  const roles = ctx.details.roles;
  roles.created = plan.create.map((r) => r.name);
  roles.passwordsSet = Object.keys(existing.passwords);
  reportExisting(ctx, existing.differences, mode);
  if (needPassword.length)
    ctx.log.warning(
      `roles: login roles created without a password (set them with role-passwords, or ALTER ROLE ... PASSWORD, before the application connects): ${list(needPassword)}`,
    );
  const parts = [
    `created ${plural(roles.created.length, 'role')} from the stored globals${roles.created.length ? ` (${list(roles.created)})` : ''}`,
    plural(plan.memberships.length, 'membership'),
    plan.existing.length ? `already on the target: ${list(plan.existing)}` : '',
    existingSummary(existing.differences, mode),
    roles.passwordsSet.length ? `passwords set for ${list(roles.passwordsSet)}` : '',
    needPassword.length ? `need a password: ${list(needPassword)}` : '',
  ];
  return { detail: parts.filter(Boolean).join('; '), databaseSql: globals?.databaseSql };
}

/** What the step says of the roles the server had: how many differ from the backup's, and what became of them. */
function existingSummary(differences: NonNullable<RolesDetails['differences']>, mode: 'keep' | 'update'): string {
  if (differences.length === 0) return '';
  const roles = new Set(differences.map((d) => d.role)).size;
  const updated = differences.filter((d) => d.updated).length;
  const what = `${plural(differences.length, 'difference')} between ${plural(roles, 'existing role')} and the backup's`;
  return mode === 'keep'
    ? `${what}, left as they are (existing-roles: keep)`
    : `${what}: ${updated} updated, ${differences.length - updated} left (existing-roles: update)`;
}

/** A warning names each difference left, so a person sees that the server's roles are not the backup's. */
function reportExisting(
  ctx: RolesContext,
  differences: NonNullable<RolesDetails['differences']>,
  mode: 'keep' | 'update',
): void {
  const left = differences.filter((d) => !d.updated);
  if (left.length === 0) return;
  const advice =
    mode === 'keep'
      ? "; existing-roles: update gives them the backup's password, attributes, settings and memberships"
      : '';
  ctx.log.warning(
    `roles: roles the server already had differ from the backup's and were left as they are: ${describeDifferences(left)}${advice}`,
  );
}

/** After the restore: the database's own owner, settings, role settings in it and grants on it, for the restored database's name. */
export async function databaseSettingsStep(
  ctx: RolesContext,
  databaseSql: readonly string[],
  psqlPath: string,
): Promise<string> {
  const statements = databaseStatements(databaseSql, ctx.target.database);
  await withMaintenance(ctx, psqlPath, async (session) => {
    for (const statement of statements) await session.query(statement);
  });
  if (ctx.details.roles) ctx.details.roles.databaseSettings = statements.length;
  return statements.length
    ? `${statements.length} statements: ${statements.map((s) => s.replace(/ (SET|TO) .*$/, ' $1 ...')).join('; ')}`
    : 'the database has no settings, owner or grants of its own to restore';
}
