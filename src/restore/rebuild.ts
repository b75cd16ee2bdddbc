import { findClient } from '../postgres/binaries.js';
import { withDatabase } from '../postgres/connection.js';
import { readDumpRoles, type DumpRole } from '../postgres/dump-roles.js';
import { StepFailure } from '../report/step-pipeline.js';
import type { BackupManifest } from '../storage/manifest.js';
import type { RestoreVerifySettings } from './inputs.js';
import type { RestoreVerifyDetails } from './restore-report.js';

/**
 * The plan's "Infrastructure Rebuild" on an empty server: the roles a backup depends on are
 * created from the globals stored beside it before anything is restored (storage/stored-roles.ts),
 * the restore keeps owners and privileges, the database's own settings follow, and ownership and
 * grants are compared with the manifest (here).
 */
export interface RebuildContext {
  settings: RestoreVerifySettings;
  details: RestoreVerifyDetails;
}

/** pg_dump leaves out what its arguments said to leave out: ownership with --no-owner (-O), privileges with --no-privileges (-x). */
function carried(pgDumpArgs: readonly string[]): { owners: boolean; grants: boolean } {
  const short = (letter: string) =>
    pgDumpArgs.some((arg) => new RegExp(`^-[A-Za-z]*${letter}`).test(arg) && !arg.startsWith('--'));
  return {
    owners: !pgDumpArgs.includes('--no-owner') && !short('O'),
    grants: !pgDumpArgs.some((arg) => arg === '--no-privileges' || arg === '--no-acl') && !short('x'),
  };
}

/** After the restore: who owns what and who was granted what, from the restored database's own table of contents, against the manifest. */
export async function ownershipStep(
  ctx: RebuildContext,
  manifest: BackupManifest,
  server: { serverMajor: number; serverVersion: string },
): Promise<string> {
  const pgDump = await findClient('pg_dump', server.serverMajor, server.serverVersion);
  const restored = await readDumpRoles(
    pgDump,
    withDatabase(ctx.settings.target, ctx.settings.target.database),
    [],
    false,
  );
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
  const differ = rows.filter(
    (row) =>
      (owners && row.expected.owns !== row.restored.owns) || (grants && row.expected.grants !== row.restored.grants),
  );
  if (differ.length) {
    const says = differ.map(
      (d) =>
        `${d.role} owns ${d.restored.owns} entries and holds ${d.restored.grants} grants, the manifest says ${d.expected.owns} and ${d.expected.grants}`,
    );
    throw new StepFailure(
      `ownership differs for ${differ.length} roles`,
      says.map((s) => `ownership: ${s}`),
    );
  }
  const owned = rows.reduce((sum, row) => sum + row.restored.owns, 0);
  const granted = rows.reduce((sum, row) => sum + row.restored.grants, 0);
  const skipped = [
    owners ? '' : 'ownership not compared (the dump was made with --no-owner)',
    grants ? '' : 'grants not compared (the dump was made with --no-privileges)',
  ].filter(Boolean);
  return [`${owned} owned entries and ${granted} grants of ${rows.length} roles match the manifest`, ...skipped].join(
    '; ',
  );
}
