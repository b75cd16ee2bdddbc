import { findClient } from '../postgres/binaries.js';
import { withDatabase } from '../postgres/connection.js';
import { readDumpRoles, type DumpRole } from '../postgres/dump-roles.js';
import { databaseStatements, parseGlobals, planRoles, type RolePlan } from '../postgres/globals.js';
import { quoteIdent, quoteLiteral } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import { scramVerifier } from '../postgres/role-sql.js';
import { withSession } from '../postgres/with-session.js';
import { StepFailure } from '../report/step-pipeline.js';
import type { BackupStore } from '../storage/backup-store.js';
import { readGlobals } from '../storage/globals-read.js';
import type { GlobalsRecord } from '../storage/globals-record.js';
import type { BackupManifest } from '../storage/manifest.js';
import { plural } from '../util/format.js';
import type { Logger } from '../util/logger.js';
import type { RestoreVerifySettings } from './inputs.js';
import type { RestoreVerifyDetails } from './restore-report.js';
import { describeDifferences, planExistingRoles } from './existing-roles.js';
import type { RolesDetails } from './rebuild-details.js';
import { openMaintenance } from './scratch-database.js';

/**
 * The plan's "Infrastructure Rebuild" on an empty server: the roles a backup depends on are
 * created from the globals stored beside it before anything is restored, the restore keeps owners
 * and privileges, the database's own settings follow, and ownership and grants are compared with
 * the manifest. In the default (scratch) mode the roles are only looked for, and reported.
 */
export interface RebuildContext {
  settings: RestoreVerifySettings;
  store: BackupStore;
  details: RestoreVerifyDetails;
  log: Logger;
}

export interface RolesResult {
  detail: string;
  /** The database's own statements from the stored globals, for after the restore (rebuild). */
  databaseSql?: string[];
}

const list = (names: readonly string[]) => names.join(', ');

const withMaintenance = <T>(ctx: RebuildContext, psqlPath: string, use: (session: PsqlSession) => Promise<T>): Promise<T> =>
  withSession(openMaintenance(ctx.settings.target, psqlPath), use);

function describeGlobals(record: GlobalsRecord | undefined): string {
  if (!record) return 'none: the backup was made before globals were stored';
  if (record.status === 'stored') return record.key;
  return record.status === 'off' ? 'none: the backup was made with globals: off' : `missing: ${record.reason}`;
}

/** The roles step of a scratch restore: which of the roles the dump depends on the target lacks, reported (the restore then goes without owners). */
export async function findRolesStep(ctx: RebuildContext, manifest: BackupManifest | undefined, psqlPath: string): Promise<RolesResult> {
  const needed = (manifest?.roles ?? []).map((r) => r.name);
  const onTarget = await withMaintenance(ctx, psqlPath, rolesOn);
  return reportRoles(ctx, needed, onTarget, describeGlobals(manifest?.globals));
}

/** The roles step of a rebuild: creates what the dump needs from the stored globals, or fails before anything is restored. */
export async function createRolesStep(ctx: RebuildContext, manifest: BackupManifest | undefined, psqlPath: string): Promise<RolesResult> {
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

function reportRoles(ctx: RebuildContext, needed: string[], onTarget: ReadonlySet<string>, globals: string): RolesResult {
  const missing = needed.filter((name) => !onTarget.has(name));
  ctx.details.roles = { mode: 'scratch', needed, missing, created: [], existing: needed.filter((name) => onTarget.has(name)), needPassword: [], passwordsSet: [], globals };
  if (missing.length === 0) return { detail: `all ${needed.length} roles the dump depends on exist on the target` };
  const who = ctx.settings.target.user ?? 'the restoring user';
  const detail = `${missing.length} of ${needed.length} roles the dump depends on are missing on the target: ${list(missing)}; restored without owners and privileges (--no-owner --no-privileges), so ${who} owns everything: a rebuild (rebuild: true) creates them from the stored globals`;
  ctx.log.warning(`roles: ${detail}`);
  return { detail };
}

function checkPlan(ctx: RebuildContext, plan: RolePlan, record: GlobalsRecord | undefined, onTarget: ReadonlySet<string>): void {
  if (plan.missing.length) {
    const why = record?.status === 'stored' ? "the backup's stored globals do not have them either" : `the backup has no stored globals (${describeGlobals(record)})`;
    throw new StepFailure(`missing roles: ${list(plan.missing)}`, [
      `roles: the dump depends on roles the target does not have: ${list(plan.missing)}; ${why}. Nothing was restored: create them (CREATE ROLE) or rebuild from a backup taken with globals: required`,
    ]);
  }
  const known = (role: string) => onTarget.has(role) || plan.create.some((r) => r.name === role);
  const unknown = Object.keys(ctx.settings.rolePasswords).filter((role) => !known(role));
  if (unknown.length) {
    throw new StepFailure(`role-passwords names unknown roles`, [`roles: role-passwords names ${list(unknown)}, which neither the target nor the rebuilt roles have; fix the names in role-passwords. Nothing was restored`]);
  }
}

async function createRoles(ctx: RebuildContext, session: PsqlSession, manifest: BackupManifest, onTarget: ReadonlySet<string>): Promise<RolesResult> {
  const needed = (manifest.roles ?? []).map((r) => r.name);
  const record = manifest.globals;
  const globals = record?.status === 'stored' ? parseGlobals(await readGlobals(ctx.store, record)) : undefined;
  const mode = ctx.settings.existingRoles;
  const plan: RolePlan = globals
    ? planRoles(globals, needed, onTarget, mode === 'keep')
    : { create: [], memberships: [], missing: needed.filter((name) => !onTarget.has(name)), existing: needed.filter((name) => onTarget.has(name)), reached: needed.filter((name) => onTarget.has(name)) };
  const needPassword = plan.create.filter((r) => r.login && ctx.settings.rolePasswords[r.name] === undefined).map((r) => r.name);
  ctx.details.roles = {
    mode: 'rebuild', needed, missing: plan.missing, created: [], existing: plan.existing, existingRoles: mode, differences: [], needPassword, passwordsSet: [], globals: describeGlobals(record),
  };
  checkPlan(ctx, plan, record, onTarget);
  const existing = await planExistingRoles(session, globals, plan, ctx.settings.rolePasswords, mode);
  ctx.details.roles.differences = existing.differences;

  // One transaction: a role that cannot be made (SUPERUSER where the user may not) leaves none half-made.
  await session.query('BEGIN');
  for (const role of plan.create) for (const statement of role.statements) await session.query(statement);
  for (const statement of [...plan.memberships, ...existing.statements]) await session.query(statement);
  // A SCRAM verifier, not the password: the server never sees the password, nor logs it.
  for (const [role, password] of Object.entries(existing.passwords)) await session.query(`ALTER ROLE ${quoteIdent(role)} PASSWORD ${quoteLiteral(scramVerifier(password))}`);
  await session.query('COMMIT');

  const roles = ctx.details.roles;
  roles.created = plan.create.map((r) => r.name);
  roles.passwordsSet = Object.keys(existing.passwords);
  reportExisting(ctx, existing.differences, mode);
  if (needPassword.length) ctx.log.warning(`roles: login roles created without a password (set them with role-passwords, or ALTER ROLE ... PASSWORD, before the application connects): ${list(needPassword)}`);
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
  return mode === 'keep' ? `${what}, left as they are (existing-roles: keep)` : `${what}: ${updated} updated, ${differences.length - updated} left (existing-roles: update)`;
}

/** A warning names each difference left, so a person sees that the server's roles are not the backup's. */
function reportExisting(ctx: RebuildContext, differences: NonNullable<RolesDetails['differences']>, mode: 'keep' | 'update'): void {
  const left = differences.filter((d) => !d.updated);
  if (left.length === 0) return;
  const advice = mode === 'keep' ? '; existing-roles: update gives them the backup\'s password, attributes, settings and memberships' : '';
  ctx.log.warning(`roles: roles the server already had differ from the backup's and were left as they are: ${describeDifferences(left)}${advice}`);
}

/** After the restore: the database's own owner, settings, role settings in it and grants on it, for the restored database's name. */
export async function databaseSettingsStep(ctx: RebuildContext, databaseSql: readonly string[], psqlPath: string): Promise<string> {
  const statements = databaseStatements(databaseSql, ctx.settings.target.database);
  await withMaintenance(ctx, psqlPath, async (session) => {
    for (const statement of statements) await session.query(statement);
  });
  if (ctx.details.roles) ctx.details.roles.databaseSettings = statements.length;
  return statements.length ? `${statements.length} statements: ${statements.map((s) => s.replace(/ (SET|TO) .*$/, ' $1 ...')).join('; ')}` : 'the database has no settings, owner or grants of its own to restore';
}

/** pg_dump leaves out what its arguments said to leave out: ownership with --no-owner (-O), privileges with --no-privileges (-x). */
function carried(pgDumpArgs: readonly string[]): { owners: boolean; grants: boolean } {
  const short = (letter: string) => pgDumpArgs.some((arg) => new RegExp(`^-[A-Za-z]*${letter}`).test(arg) && !arg.startsWith('--'));
  return {
    owners: !pgDumpArgs.includes('--no-owner') && !short('O'),
    grants: !pgDumpArgs.some((arg) => arg === '--no-privileges' || arg === '--no-acl') && !short('x'),
  };
}

/** After the restore: who owns what and who was granted what, from the restored database's own table of contents, against the manifest. */
export async function ownershipStep(ctx: RebuildContext, manifest: BackupManifest, server: { serverMajor: number; serverVersion: string }): Promise<string> {
  const pgDump = await findClient('pg_dump', server.serverMajor, server.serverVersion);
  const restored = await readDumpRoles(pgDump, withDatabase(ctx.settings.target, ctx.settings.target.database), [], false);
  const expected = new Map((manifest.roles ?? []).map((r) => [r.name, r]));
  const found = new Map(restored.roles.map((r) => [r.name, r]));
  const { owners, grants } = carried(manifest.pgDumpArgs);
  const zero: DumpRole = { name: '', owns: 0, grants: 0 };
  const rows = [...new Set([...expected.keys(), ...found.keys()])].sort().map((role) => {
    const e = expected.get(role) ?? zero;
    const r = found.get(role) ?? zero;
    return { role, expected: { owns: e.owns, grants: e.grants }, restored: { owns: r.owns, grants: r.grants } };
  });
  if (ctx.details.roles) ctx.details.roles.ownership = rows;
  const differ = rows.filter((row) => (owners && row.expected.owns !== row.restored.owns) || (grants && row.expected.grants !== row.restored.grants));
  if (differ.length) {
    const says = differ.map((d) => `${d.role} owns ${d.restored.owns} entries and holds ${d.restored.grants} grants, the manifest says ${d.expected.owns} and ${d.expected.grants}`);
    throw new StepFailure(`ownership differs for ${differ.length} roles`, says.map((s) => `ownership: ${s}`));
  }
  const owned = rows.reduce((sum, row) => sum + row.restored.owns, 0);
  const granted = rows.reduce((sum, row) => sum + row.restored.grants, 0);
  const skipped = [owners ? '' : 'ownership not compared (the dump was made with --no-owner)', grants ? '' : 'grants not compared (the dump was made with --no-privileges)'].filter(Boolean);
  return [`${owned} owned entries and ${granted} grants of ${rows.length} roles match the manifest`, ...skipped].join('; ');
}
