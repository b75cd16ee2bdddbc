import { errorMessage } from '../errors.js';
import type { ClientBinary } from '../postgres/binaries.js';
import type { DatabaseTarget } from '../postgres/connection.js';
import { readDumpRoles, type DumpRole, type DumpRoles } from '../postgres/dump-roles.js';
import { dumpGlobals } from '../postgres/globals.js';
import { storedGlobalsRecord } from '../storage/globals-object.js';
import type { GlobalsRecord } from '../storage/globals-record.js';
import type { Logger } from '../util/logger.js';

/** required: a backup fails without its globals; best-effort: it records that they are missing; off: not taken. */
export type GlobalsPolicy = 'required' | 'best-effort' | 'off';
export const GLOBALS_POLICIES = ['required', 'best-effort', 'off'] as const;

export interface CapturedGlobals {
  /** The SQL to store beside the backup, when it was taken. */
  sql?: string;
  pgDumpallVersion: string;
  /** Why there is no SQL (best-effort), or that globals are off. */
  record?: GlobalsRecord;
  /** The roles the dump depends on; absent with globals off or when they could not be read. */
  roles?: DumpRole[];
}

export interface GlobalsCapture {
  pgDump: ClientBinary;
  database: DatabaseTarget;
  /** pg_dump's arguments for the backup, snapshot included: the roles are read from the same objects. */
  dumpArgs: string[];
  policy: GlobalsPolicy;
  log: Logger;
  /** The roles the dump depends on when they were read already (with the table of contents), or why they could not be. */
  dumpRoles?: DumpRoles | Error;
}

function withDatabaseSection(globals: string, database: string, databaseSql: readonly string[]): string {
  const header = [
    '',
    '--',
    `-- The database's own settings (pg_dump --create of ${database}): owner, settings, role settings in it, grants on it`,
    '--',
    '',
  ];
  return `${globals.trimEnd()}\n${[...header, ...databaseSql].join('\n')}\n`;
}

/**
 * The roles the dump's table of contents names (in its snapshot), the server's globals without
 * passwords and the database's own settings: before the dump, or while it runs when its table of
 * contents is read from its stream. With globals: required a failure fails the backup, which then
 * stores nothing; with best-effort it is recorded in the manifest instead.
 */
export async function captureGlobals(capture: GlobalsCapture): Promise<CapturedGlobals> {
  const { pgDump, database, policy, log } = capture;
  if (policy === 'off') return { pgDumpallVersion: pgDump.version, record: { status: 'off' } };
  let dumpRoles: DumpRoles | undefined;
  try {
    if (capture.dumpRoles instanceof Error) throw capture.dumpRoles;
    dumpRoles = capture.dumpRoles ?? (await readDumpRoles(pgDump, database, capture.dumpArgs, true));
    const globals = await dumpGlobals(pgDump, database);
    log.info(
      `globals taken with pg_dumpall ${pgDump.version} (no passwords); the dump depends on ${dumpRoles.roles.length} roles: ${dumpRoles.roles.map((r) => r.name).join(', ') || 'none'}`,
    );
    return {
      sql: withDatabaseSection(globals, database.database, dumpRoles.databaseSql),
      pgDumpallVersion: pgDump.version,
      roles: dumpRoles.roles,
    };
  } catch (error) {
    const reason = errorMessage(error);
    if (policy === 'required') {
      throw new Error(
        `could not take the server's globals (roles, memberships, settings), so no backup was made: ${reason}. Fix the cause, or set globals: best-effort to back up without them`,
      );
    }
    log.warning(
      `the server's globals were not taken (globals: best-effort), so this backup cannot rebuild its roles: ${reason}`,
    );
    // The roles the dump depends on, when they were read, still tell a restore what it needs.
    return {
      pgDumpallVersion: pgDump.version,
      record: { status: 'missing', reason },
      ...(dumpRoles ? { roles: dumpRoles.roles } : {}),
    };
  }
}

/** What the manifest records of the globals; publishBackup stores their SQL at the recorded key. */
export function globalsRecordFor(backupKey: string, captured: CapturedGlobals): GlobalsRecord {
  if (captured.sql === undefined) return captured.record ?? { status: 'off' };
  return storedGlobalsRecord(backupKey, captured.sql, captured.pgDumpallVersion);
}
