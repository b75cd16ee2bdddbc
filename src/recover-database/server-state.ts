import { ConfigurationError } from '../errors.js';
import { quoteIdent, quoteLiteral } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import { parseJournal, type Journal } from './journal.js';

export interface DatabaseOnServer {
  oid: string;
  name: string;
  journal?: Journal;
}

/** What the server holds and allows, read before anything is changed. */
export interface ServerState {
  serverVersion: string;
  serverMajor: number;
  databases: DatabaseOnServer[];
  canCreateDatabases: boolean;
  /** The user may rename the production database: it owns it (or is a member of its owner, or a superuser). */
  canRenameProduction: boolean;
}

/**
 * Where a recovery of this database from this backup stands on the server:
 * - fresh: nothing started; the production database is the one to replace;
 * - restoring / restored / proven: the backup is (being) restored beside production, which is untouched;
 * - half-renamed: the damaged database has its dated name, the restored one not yet the production name;
 * - renamed: the restored database is production; migrate, start and health remain;
 * - done: a completed recovery from this backup is production already.
 */
export type Phase =
  | { kind: 'fresh'; replaces: DatabaseOnServer }
  | {
      kind: 'restoring' | 'restored' | 'proven';
      journal: Journal;
      restored: DatabaseOnServer;
      replaces: DatabaseOnServer;
    }
  | { kind: 'half-renamed'; journal: Journal; restored: DatabaseOnServer; kept: DatabaseOnServer }
  | { kind: 'renamed' | 'done'; journal: Journal; recovered: DatabaseOnServer; kept?: DatabaseOnServer };

export async function readServerState(session: PsqlSession, production: string): Promise<ServerState> {
  const [facts] = await session.query(
    `SELECT current_setting('server_version'), current_setting('server_version_num'),
            (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user),
            COALESCE((SELECT pg_has_role(current_user, datdba, 'MEMBER') FROM pg_database WHERE datname = ${quoteLiteral(production)}), false)`,
  );
  const rows = await session.query(
    `SELECT oid, datname, shobj_description(oid, 'pg_database') FROM pg_database ORDER BY datname`,
  );
  const [version, versionNum, canCreate, canRename] = facts ?? [];
  return {
    serverVersion: String(version).split(' ')[0] as string,
    serverMajor: Math.floor(Number(versionNum) / 10000),
    databases: rows.map(([oid, name, comment]) => ({
      oid: String(oid),
      name: String(name),
      journal: parseJournal(comment),
    })),
    canCreateDatabases: canCreate === 't',
    canRenameProduction: canRename === 't',
  };
}

const named = (state: ServerState, name: string) => state.databases.find((d) => d.name === name);
const dropHint = (name: string) => `DROP DATABASE ${quoteIdent(name)};`;

function freshPhase(state: ServerState, production: string, backupKey: string, restoredAs: string): Phase {
  const current = named(state, production);
  if (!current) {
    throw new ConfigurationError(
      `there is no database ${production} on the server to replace; to restore a backup under that name where none is, use restore-verify with target-database-url naming it and keep-database: true`,
    );
  }
  if (current.journal?.state === 'complete' && current.journal.backup === backupKey)
    return { kind: 'done', journal: current.journal, recovered: current, kept: named(state, current.journal.keptAs) };
  if (named(state, restoredAs)) {
    throw new ConfigurationError(
      `a database named ${restoredAs}, where this recovery would restore the backup, already exists and is no unfinished recovery of ${production}; rename or drop it (${dropHint(restoredAs)}) and run again`,
    );
  }
  return { kind: 'fresh', replaces: current };
}

function refuseOtherBackup(journal: Journal, at: DatabaseOnServer, backupKey: string): never {
  throw new ConfigurationError(
    `an unfinished recovery of ${journal.production} from ${journal.backup} is on the server (database ${at.name}, ${journal.state}${journal.run ? `, started by run ${journal.run}` : ''}), ` +
      `and this run would restore ${backupKey}: finish that one (run again with backup and expected-recovery-point ${journal.backup}), or, if production is still ${journal.production}, drop ${at.name} (${dropHint(at.name)}) to start over`,
  );
}

function beforeRename(state: ServerState, journal: Journal, restored: DatabaseOnServer): Phase {
  const current = named(state, journal.production);
  const kept = named(state, journal.keptAs);
  if (current && current.oid === journal.replaces) {
    if (journal.state === 'complete')
      throw new Error(`the journal of ${restored.name} says complete, but it does not have the production name`);
    return { kind: journal.state, journal, restored, replaces: current };
  }
  if (!current && kept?.oid === journal.replaces) return { kind: 'half-renamed', journal, restored, kept };
  const found = current
    ? `${journal.production} is another database (oid ${current.oid}) than the one this recovery replaces (oid ${journal.replaces})`
    : `neither ${journal.production} nor ${journal.keptAs} (oid ${journal.replaces}) exists`;
  throw new ConfigurationError(
    `the recovery restored into ${restored.name} cannot go on: ${found}. Nothing was changed; compare the databases on the server (\\l+) with the last run's report`,
  );
}

/** Where the recovery stands, or a refusal naming what was found. */
export function assessPhase(state: ServerState, production: string, backupKey: string, restoredAs: string): Phase {
  const open = state.databases.filter(
    (d) => d.journal && d.journal.production === production && d.journal.state !== 'complete',
  );
  if (open.length > 1) {
    throw new ConfigurationError(
      `${open.length} unfinished recoveries of ${production} are on the server (${open.map((d) => `${d.name}: ${d.journal?.backup}, ${d.journal?.state}`).join('; ')}); keep the one to finish and drop the others`,
    );
  }
  const [at] = open;
  if (!at?.journal) return freshPhase(state, production, backupKey, restoredAs);
  const journal = at.journal;
  if (journal.backup !== backupKey) refuseOtherBackup(journal, at, backupKey);
  if (at.name === production) return { kind: 'renamed', journal, recovered: at, kept: named(state, journal.keptAs) };
  if (at.name === journal.restoredAs) return beforeRename(state, journal, at);
  throw new ConfigurationError(
    `the database restored by an unfinished recovery of ${production} is now named ${at.name}, neither ${journal.restoredAs} nor ${production}; nothing was changed: rename it back, or finish the cut-over by hand`,
  );
}

/** The sessions connected to these databases (other than this run's). */
export interface SessionOnServer {
  pid: string;
  user: string;
  application: string;
  client: string;
  database: string;
}

export async function sessionsIn(session: PsqlSession, databases: readonly string[]): Promise<SessionOnServer[]> {
  const rows = await session.query(
    `SELECT pid, COALESCE(usename, ''), COALESCE(application_name, ''), COALESCE(host(client_addr), 'local socket'), datname FROM pg_stat_activity
      WHERE datname IN (${databases.map(quoteLiteral).join(', ')}) AND pid <> pg_backend_pid() ORDER BY datname, pid`,
  );
  return rows.map(([pid, user, application, client, database]) => ({
    pid: String(pid),
    user: String(user),
    application: String(application),
    client: String(client),
    database: String(database),
  }));
}

export function describeSessions(sessions: readonly SessionOnServer[]): string {
  return sessions
    .map((s) => `pid ${s.pid} (user ${s.user}, application '${s.application}', from ${s.client}, in ${s.database})`)
    .join('; ');
}
