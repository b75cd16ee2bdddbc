import { dirname, join } from 'node:path';
import { execaProgram } from '../util/child-process.js';
import { redact } from '../util/redact.js';
import type { ClientBinary } from './binaries.js';
import { clientEnv, type DatabaseTarget } from './connection.js';
import { quoteIdent } from './identifiers.js';
import { IDENT, unquoteIdent } from './role-sql.js';

/** pg_dumpall failed; the message is its own, redacted. */
export class GlobalsDumpError extends Error {
  override name = 'GlobalsDumpError';
}

/**
 * The server's globals without secrets: roles, their attributes, settings and memberships, and
 * tablespaces. --no-role-passwords reads pg_roles instead of pg_authid, so it also works on RDS,
 * where pg_authid is not readable. pg_dumpall is taken from pg_dump's folder: the same version.
 */
export async function dumpGlobals(pgDump: ClientBinary, target: DatabaseTarget): Promise<string> {
  const path = join(dirname(pgDump.path), 'pg_dumpall');
  const result = await execaProgram(path, ['--globals-only', '--no-role-passwords', `--dbname=${target.url}`], {
    env: await clientEnv(target, { PGAPPNAME: 'dr-actions globals' }),
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    cleanup: true,
  });
  if (result.exitCode !== 0) {
    const notStarted = result.exitCode === undefined;
    const why = notStarted
      ? `${path} could not be run (${result.code ?? result.originalMessage}): pg_dumpall comes with pg_dump in the PostgreSQL client package`
      : String(result.stderr).trim();
    throw new GlobalsDumpError(redact(`pg_dumpall --globals-only failed: ${why}`, [target.password]));
  }
  return String(result.stdout);
}

export interface GlobalRole {
  name: string;
  /** CREATE ROLE, ALTER ROLE ... WITH, ALTER ROLE ... SET, in pg_dumpall's order. */
  statements: string[];
  login: boolean;
  superuser: boolean;
  /** Every attribute pg_dumpall gave it (NOLOGIN, CONNECTION LIMIT 5, ...), defaults too: what it is compared by. */
  attributes: string[];
  /** Its ALTER ROLE ... SET statements, by setting name. */
  settings: Map<string, string>;
}

export interface Membership {
  role: string;
  member: string;
  /** GRANT role TO member with its options, without GRANTED BY: the grantor is whoever rebuilds. */
  statement: string;
}

export interface Globals {
  roles: Map<string, GlobalRole>;
  memberships: Membership[];
  /** The database's own statements stored with the globals (see dump-roles.ts). */
  databaseSql: string[];
}

const ROLE_STATEMENT = new RegExp(`^(?:CREATE ROLE|ALTER ROLE) (${IDENT})(?:;| WITH | SET )`);
const MEMBERSHIP = new RegExp(`^GRANT (${IDENT}) TO (${IDENT})(.*?)(?: GRANTED BY (?:${IDENT}))?;$`);
const DATABASE_STATEMENT = new RegExp(
  `^(?:ALTER DATABASE |ALTER ROLE (?:${IDENT}) IN DATABASE |(?:GRANT|REVOKE) .*? ON DATABASE )`,
);

/** Reads a stored globals file: pg_dumpall's statements, one a line, and the database's own after them. */
export function parseGlobals(text: string): Globals {
  const roles = new Map<string, GlobalRole>();
  const memberships: Membership[] = [];
  const databaseSql: string[] = [];
  for (const line of text.split('\n')) {
    if (DATABASE_STATEMENT.test(line)) {
      databaseSql.push(line);
      continue;
    }
    const membership = MEMBERSHIP.exec(line);
    if (membership) {
      const [, role = '', member = '', options = ''] = membership;
      memberships.push({
        role: unquoteIdent(role),
        member: unquoteIdent(member),
        statement: `GRANT ${role} TO ${member}${options};`,
      });
      continue;
    }
    const token = ROLE_STATEMENT.exec(line)?.[1];
    if (!token) continue;
    const name = unquoteIdent(token);
    const role = roles.get(name) ?? {
      name,
      statements: [],
      login: false,
      superuser: false,
      attributes: [],
      settings: new Map<string, string>(),
    };
    if (/ WITH .*\bLOGIN\b/.test(line) && !/ WITH .*\bNOLOGIN\b/.test(line)) role.login = true;
    if (/ WITH .*\bSUPERUSER\b/.test(line) && !/ WITH .*\bNOSUPERUSER\b/.test(line)) role.superuser = true;
    role.attributes.push(...attributesOf(line));
    const setting = ROLE_SETTING.exec(line)?.[1];
    if (setting) role.settings.set(setting, line);
    const statement = withoutDefaults(line);
    if (statement) role.statements.push(statement);
    roles.set(name, role);
  }
  return { roles, memberships, databaseSql };
}

const ROLE_SETTING = new RegExp(`^ALTER ROLE (?:${IDENT}) SET (${IDENT}) TO `);
const ATTRIBUTE = /CONNECTION LIMIT -?\d+|VALID UNTIL '(?:[^']|'')*'|[A-Z]+/g;

/** The attributes of an `ALTER ROLE ... WITH ...;` line, as written; none for any other line. */
function attributesOf(line: string): string[] {
  const match = new RegExp(`^ALTER ROLE (?:${IDENT}) WITH (.*);$`).exec(line);
  return match ? ((match[1] as string).match(ATTRIBUTE) ?? []) : [];
}

/** What CREATE ROLE gives anyway: leaving them out lets a CREATEROLE user (RDS) run the statement, which may not name SUPERUSER or REPLICATION at all. */
const DEFAULT_ATTRIBUTES = new Set([
  'NOSUPERUSER',
  'INHERIT',
  'NOCREATEROLE',
  'NOCREATEDB',
  'NOLOGIN',
  'NOREPLICATION',
  'NOBYPASSRLS',
]);

function withoutDefaults(line: string): string {
  const match = new RegExp(`^(ALTER ROLE (?:${IDENT}) WITH )(.*);$`).exec(line);
  if (!match) return line;
  const attributes = (match[2] as string).match(ATTRIBUTE) ?? [];
  const kept = attributes.filter((attribute) => !DEFAULT_ATTRIBUTES.has(attribute));
  return kept.length ? `${match[1]}${kept.join(' ')};` : '';
}

export interface RolePlan {
  /** Roles to create, in name order, with the statements that recreate each. */
  create: GlobalRole[];
  /** GRANT role TO member between roles that will all exist. */
  memberships: string[];
  /** Roles the dump needs that neither the globals nor the target have. */
  missing: string[];
  /** Roles the dump needs that the target already has. */
  existing: string[];
  /** Every role the target already has that the rebuild meets: needed, or joined to a needed role by membership (not the predefined pg_* roles). */
  reached: string[];
}

/**
 * The roles to create on an empty server for a dump that needs `needed`: those, and the roles
 * joined to them by membership in either direction (the login role the application uses is often
 * only a member of the role that owns or was granted the objects). Roles the server already has,
 * and its predefined pg_* roles, are not followed further. With `keepExisting`, no membership makes
 * a role the server already has a member of another: its memberships are its own.
 */
export function planRoles(
  globals: Globals,
  needed: readonly string[],
  onTarget: ReadonlySet<string>,
  keepExisting = false,
): RolePlan {
  const wanted = new Set<string>();
  const queue = [...needed];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (wanted.has(name) || onTarget.has(name) || name.startsWith('pg_')) continue;
    wanted.add(name);
    for (const m of globals.memberships) {
      if (m.role === name) queue.push(m.member);
      if (m.member === name) queue.push(m.role);
    }
  }
  const create = [...wanted]
    .filter((name) => globals.roles.has(name))
    .sort()
    .map((name) => globals.roles.get(name) as GlobalRole);
  const willExist = (name: string) => onTarget.has(name) || (globals.roles.has(name) && wanted.has(name));
  return {
    create,
    memberships: globals.memberships
      .filter(
        (m) =>
          (wanted.has(m.role) || wanted.has(m.member)) &&
          willExist(m.role) &&
          willExist(m.member) &&
          !(keepExisting && onTarget.has(m.member)),
      )
      .map((m) => m.statement),
    missing: needed.filter((name) => !onTarget.has(name) && !globals.roles.has(name)),
    existing: needed.filter((name) => onTarget.has(name)),
    reached: reachedOnTarget(globals, needed, onTarget),
  };
}

/** The roles the server has among those joined to the needed ones by membership, through any role but the predefined pg_* ones. */
function reachedOnTarget(globals: Globals, needed: readonly string[], onTarget: ReadonlySet<string>): string[] {
  const seen = new Set<string>();
  const queue = [...needed];
  while (queue.length > 0) {
    const name = queue.shift() as string;
    if (seen.has(name) || name.startsWith('pg_')) continue;
    seen.add(name);
    for (const m of globals.memberships) {
      if (m.role === name) queue.push(m.member);
      if (m.member === name) queue.push(m.role);
    }
  }
  return [...seen].filter((name) => onTarget.has(name)).sort();
}

const DATABASE_NAME = new RegExp(
  `^(ALTER DATABASE |ALTER ROLE (?:${IDENT}) IN DATABASE |(?:GRANT|REVOKE) .*? ON DATABASE )(${IDENT})(.*)$`,
);

/**
 * The database's own statements (owner, settings, role settings in it, grants on it) for the
 * restored database, whatever its name: the source's name in each is replaced. CREATE DATABASE and
 * comments are left out: the database already exists.
 */
export function databaseStatements(databaseSql: readonly string[], database: string): string[] {
  return databaseSql.flatMap((line) => {
    const match = DATABASE_NAME.exec(line);
    return match ? [`${match[1]}${quoteIdent(database)}${match[3]}`] : [];
  });
}
