import { ConfigurationError, errorMessage } from '../errors.js';
import { withDatabase, type DatabaseTarget } from './connection.js';
import { quoteIdent, quoteLiteral } from './identifiers.js';
import { PsqlSession } from './psql-session.js';
import { readServerSettings } from './server-settings.js';
import { withSession } from './with-session.js';

/** What the target server says about the scratch database, before anything is changed. */
export interface TargetState {
  serverVersion: string;
  serverMajor: number;
  canCreateDatabases: boolean;
  exists: boolean;
  /** User relations (tables, views, sequences...) in the existing database. */
  relationCount: number;
  examples: string[];
  /** The server's settings that decide restore speed and crash safety, as SHOW shows them. */
  settings: Record<string, string>;
  /** The existing database is a scratch database an earlier run created and never dropped: that run, as its mark names it. */
  leftBy?: string;
  /** Sessions connected to the existing database (a killed run's pg_restore may still write into it). */
  sessions: number;
}

/**
 * The comment a run gives the scratch database it creates and will drop: a run killed before its
 * drop (SIGKILL, a lost runner) leaves the database behind with this mark, and the next run that
 * holds the name's claim (so no run is using it) may drop it. A database without it is never dropped
 * unless allow-overwrite says so.
 */
const LEFTOVER_MARK = 'dr-actions restore-verify scratch database, dropped by the run that created it: ';

function leftoverMark(madeBy: string, at: Date): string {
  return `${LEFTOVER_MARK}${JSON.stringify({ madeBy, createdAt: at.toISOString() })}`;
}

/** Who left the database, from its comment; undefined unless the comment is a scratch database's mark. */
function leftBy(comment: string | null | undefined): string | undefined {
  if (!comment?.startsWith(LEFTOVER_MARK)) return undefined;
  try {
    const mark = JSON.parse(comment.slice(LEFTOVER_MARK.length)) as { madeBy?: unknown; createdAt?: unknown };
    return typeof mark.madeBy === 'string' && typeof mark.createdAt === 'string'
      ? `${mark.madeBy}, created ${mark.createdAt}`
      : undefined;
  } catch {
    return undefined;
  }
}

const MAINTENANCE_DATABASES = ['postgres', 'template1'];

const USER_RELATIONS = `FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'`;

/** A session on the same server, in a database that always exists, for CREATE and DROP DATABASE. */
export async function openMaintenance(target: DatabaseTarget, psqlPath: string): Promise<PsqlSession> {
  let lastError: unknown;
  for (const database of MAINTENANCE_DATABASES) {
    try {
      return await PsqlSession.open(withDatabase(target, database), { psqlPath });
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(
    `could not connect to the target server as ${target.display.replace(/\/[^/]*$/, '')}: ${errorMessage(lastError)}`,
  );
}

export async function inspectTarget(target: DatabaseTarget, psqlPath: string): Promise<TargetState> {
  const base = await withSession(openMaintenance(target, psqlPath), async (session) => {
    const [row] = await session.query(
      `SELECT current_setting('server_version'), current_setting('server_version_num'),
              (SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user),
              EXISTS (SELECT 1 FROM pg_database WHERE datname = ${quoteLiteral(target.database)}),
              (SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = ${quoteLiteral(target.database)}),
              (SELECT count(*) FROM pg_stat_activity WHERE datname = ${quoteLiteral(target.database)} AND pid <> pg_backend_pid())`,
    );
    const [version, versionNum, canCreate, exists, comment, sessions] = row ?? [];
    const settings = await readServerSettings(session);
    const left = leftBy(comment);
    return {
      serverVersion: String(version).split(' ')[0] as string,
      serverMajor: Math.floor(Number(versionNum) / 10000),
      canCreateDatabases: canCreate === 't',
      exists: exists === 't',
      settings,
      sessions: Number(sessions ?? 0),
      ...(left ? { leftBy: left } : {}),
    };
  });
  if (!base.exists) return { ...base, relationCount: 0, examples: [] };
  const contents = await withSession(PsqlSession.open(target, { psqlPath }), async (session) => {
    const count = Number(await session.value(`SELECT count(*) ${USER_RELATIONS}`));
    const examples = await session.query(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) ${USER_RELATIONS} ORDER BY 1 LIMIT 3`,
    );
    return { relationCount: count, examples: examples.map((r) => String(r[0])) };
  });
  return { ...base, ...contents };
}

/**
 * The guards that need the server: never into a database that holds anything unless
 * allow-overwrite says so, and only where the user may create the database.
 */
export function refuseUnsafeTarget(state: TargetState, target: DatabaseTarget, allowOverwrite: boolean): void {
  if (state.exists && state.relationCount > 0 && !allowOverwrite && !state.leftBy) {
    throw new ConfigurationError(
      `the target database ${target.display} already exists and holds ${state.relationCount} ${state.relationCount === 1 ? 'table or other relation' : 'tables or other relations'} (e.g. ${state.examples.join(', ')}); ` +
        'name a database that does not exist yet, or set allow-overwrite: true to drop and recreate it',
    );
  }
  if (state.leftBy && state.sessions > 0) {
    throw new ConfigurationError(
      `the target database ${target.display} was left by an earlier run that did not finish (${state.leftBy}), but ${state.sessions} ${state.sessions === 1 ? 'session is' : 'sessions are'} still connected to it (a killed run's pg_restore may still be writing); ` +
        'run again once they ended, or end them (pg_terminate_backend) first',
    );
  }
  const mustCreate = !state.exists || allowOverwrite || state.leftBy !== undefined;
  if (mustCreate && !state.canCreateDatabases) {
    throw new ConfigurationError(
      `the user of target-database-url may not create databases on ${target.display.replace(/\/[^/]*$/, '')}; grant it CREATEDB (ALTER ROLE ... CREATEDB) or use a scratch server where it may`,
    );
  }
}

/**
 * Creates the scratch database from template0, the way pg_dump's documentation restores: nothing
 * from template1 gets in the way. `dropBy` marks it as one the run (named so) will drop, so that a
 * later run may drop it when this one never does (see LEFTOVER_MARK); a database to keep is not marked.
 */
export async function createScratchDatabase(
  target: DatabaseTarget,
  psqlPath: string,
  dropBy?: { madeBy: string; at: Date },
): Promise<void> {
  await withSession(openMaintenance(target, psqlPath), async (session) => {
    const name = quoteIdent(target.database);
    await session.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    if (dropBy)
      await session.query(`COMMENT ON DATABASE ${name} IS ${quoteLiteral(leftoverMark(dropBy.madeBy, dropBy.at))}`);
  });
}

/** Drops the database, ending the sessions still in it (a smoke command's leftovers, a hung check). */
export async function dropScratchDatabase(
  target: DatabaseTarget,
  psqlPath: string,
  serverMajor: number,
): Promise<void> {
  await withSession(openMaintenance(target, psqlPath), async (session) => {
    const name = quoteIdent(target.database);
    if (serverMajor >= 13) {
      await session.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      return;
    }
    await session.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(target.database)} AND pid <> pg_backend_pid()`,
    );
    await session.query(`DROP DATABASE IF EXISTS ${name}`);
  });
}
