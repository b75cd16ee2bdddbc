import { execaProgram } from '../util/child-process.js';
import { redact } from '../util/redact.js';
import type { ClientBinary } from './binaries.js';
import { clientEnv, type DatabaseTarget } from './connection.js';
import { DumpFailedError } from './pg-dump.js';
import { unquoteIdent } from './role-sql.js';

/** A role a dump depends on: it must exist wherever the dump is restored with its owners and privileges. */
export interface DumpRole {
  name: string;
  /** Table-of-contents entries it owns (tables, sequences, schemas, functions, their indexes and constraints...). */
  owns: number;
  /** GRANT and REVOKE statements naming it as the grantee, table, schema, sequence and default privileges alike. */
  grants: number;
}

export interface DumpRoles {
  /** Every role an entry of the dump names, sorted by name; the database's owner and grantees too when dumped with --create. */
  roles: DumpRole[];
  /** The database's own statements (--create): CREATE DATABASE, its owner, settings, role settings in it, and its grants. */
  databaseSql: string[];
}

/** pg_dump heads every table-of-contents entry with this comment. */
const ENTRY_HEADER = /^-- Name: (.*); Type: ([A-Z ]+); Schema: (.*); Owner: (.*)$/;
/** The grantee at the end of a GRANT ... TO or REVOKE ... FROM statement, as pg_dump writes them. */
const GRANTEE = / (?:TO|FROM) ("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)(?: WITH GRANT OPTION)?;$/;
/** Entries that describe another entry: their owner is that entry's owner, already counted. */
const NOT_OWNED = new Set(['ACL', 'COMMENT', 'SECURITY LABEL']);

interface Entry {
  name: string;
  type: string;
  owner: string;
}

const isDatabaseEntry = (entry: Entry) =>
  entry.type === 'DATABASE' || entry.type === 'DATABASE PROPERTIES' || entry.name.startsWith('DATABASE ');

/**
 * Reads the roles a schema-only plain dump depends on from its table of contents: each entry's
 * owner (from its header) and the grantees of its ACL entries. The entries of the database itself
 * (present with --create) are kept apart as SQL: they are the database's own settings.
 */
export function parseDumpRoles(sql: string): DumpRoles {
  const counts = new Map<string, DumpRole>();
  const role = (name: string) => {
    const found = counts.get(name) ?? { name, owns: 0, grants: 0 };
    counts.set(name, found);
    return found;
  };
  const databaseSql: string[] = [];
  let entry: Entry | undefined;
  for (const line of sql.split('\n')) {
    const header = ENTRY_HEADER.exec(line);
    if (header) {
      entry = { name: header[1] as string, type: header[2] as string, owner: header[4] as string };
      if (entry.owner && entry.owner !== '-') {
        const owner = role(entry.owner);
        if (!NOT_OWNED.has(entry.type) && !isDatabaseEntry(entry)) owner.owns += 1;
      }
      continue;
    }
    if (!entry || line === '' || line.startsWith('--') || line.startsWith('\\')) continue;
    if (isDatabaseEntry(entry)) databaseSql.push(line);
    if (entry.type !== 'ACL' && entry.type !== 'DEFAULT ACL') continue;
    const grantee = GRANTEE.exec(line)?.[1];
    if (grantee && grantee !== 'PUBLIC') {
      const named = role(unquoteIdent(grantee));
      if (!isDatabaseEntry(entry)) named.grants += 1;
    }
  }
  return { roles: [...counts.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)), databaseSql };
}

/**
 * Dumps the schema alone with the given arguments (the backup's own, with its snapshot, so the
 * same objects) and reads the roles it depends on. `--create` adds the database's own entries.
 */
export async function readDumpRoles(
  pgDump: ClientBinary,
  target: DatabaseTarget,
  args: string[],
  create: boolean,
): Promise<DumpRoles> {
  const result = await execaProgram(
    pgDump.path,
    ['--schema-only', '--format=plain', ...(create ? ['--create'] : []), ...args, `--dbname=${target.url}`],
    {
      env: await clientEnv(target, { PGAPPNAME: 'dr-actions roles' }),
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      cleanup: true,
      maxBuffer: 1024 * 1024 * 1024,
    },
  );
  if (result.exitCode !== 0) {
    throw new DumpFailedError(
      redact(`pg_dump could not list the roles the dump depends on: ${String(result.stderr).trim()}`, [
        target.password,
      ]),
    );
  }
  return parseDumpRoles(String(result.stdout));
}
