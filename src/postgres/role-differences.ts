import type { GlobalRole, Membership } from './globals.js';
import { quoteIdent, quoteLiteral } from './identifiers.js';
import type { PsqlSession } from './psql-session.js';
import { unquoteIdent } from './role-sql.js';

/** One way a role the server already has differs from the backup's role of the same name. */
export interface RoleDifference {
  role: string;
  kind: 'password' | 'attribute' | 'setting' | 'membership';
  /** The backup's side, e.g. `LOGIN`, `statement_timeout=5s`, `member of readers`; `-` when the backup has none. */
  backup: string;
  /** The server's side, in the same words. */
  server: string;
  /** The statement that makes the server's role the backup's (the password's is set apart); none when only the server has it: nothing is taken away. */
  update?: string;
}

/** A role as the server has it: pg_roles, its settings and the roles it is a member of. */
export interface ServerRole {
  name: string;
  attributes: Map<string, string>;
  /** True when its VALID UNTIL is the backup's (compared by the server, whatever the text). */
  sameValidUntil: boolean;
  settings: Map<string, string>;
  memberOf: Set<string>;
}

const FLAGS = [
  ['SUPERUSER', 'rolsuper'],
  ['INHERIT', 'rolinherit'],
  ['CREATEROLE', 'rolcreaterole'],
  ['CREATEDB', 'rolcreatedb'],
  ['LOGIN', 'rolcanlogin'],
  ['REPLICATION', 'rolreplication'],
  ['BYPASSRLS', 'rolbypassrls'],
] as const;

/** The attribute a token sets (LOGIN and NOLOGIN both set LOGIN), so the backup's and the server's are compared by it. */
function attributeName(token: string): string {
  if (token.startsWith('CONNECTION LIMIT')) return 'CONNECTION LIMIT';
  if (token.startsWith('VALID UNTIL')) return 'VALID UNTIL';
  return token.replace(/^NO(?=SUPERUSER|INHERIT|CREATEROLE|CREATEDB|LOGIN|REPLICATION|BYPASSRLS)/, '');
}

/** pg_dumpall leaves out CONNECTION LIMIT -1 and a VALID UNTIL that is not set. */
function backupAttributes(role: GlobalRole): Map<string, string> {
  const attributes = new Map<string, string>([['CONNECTION LIMIT', 'CONNECTION LIMIT -1']]);
  for (const token of role.attributes) attributes.set(attributeName(token), token);
  return attributes;
}

/** Reads a role the server has, comparing its VALID UNTIL with `validUntil` (the backup's literal) on the server. */
export async function readServerRole(
  session: PsqlSession,
  name: string,
  validUntil: string | undefined,
): Promise<ServerRole | undefined> {
  const columns = FLAGS.map(([, column]) => `r.${column}`).join(', ');
  const rows = await session.query(
    `SELECT ${columns}, r.rolconnlimit, coalesce(r.rolvaliduntil::text, ''), r.rolvaliduntil IS NOT DISTINCT FROM ${validUntil ?? 'NULL'}::timestamptz,
       coalesce(array_to_json(r.rolconfig)::text, '[]'),
       coalesce((SELECT json_agg(g.rolname ORDER BY g.rolname) FROM pg_auth_members m JOIN pg_roles g ON g.oid = m.roleid WHERE m.member = r.oid)::text, '[]')
     FROM pg_roles r WHERE r.rolname = ${quoteLiteral(name)}`,
  );
  const row = rows[0];
  if (!row) return undefined;
  const attributes = new Map<string, string>(FLAGS.map(([flag], i) => [flag, row[i] === 't' ? flag : `NO${flag}`]));
  const at = FLAGS.length;
  attributes.set('CONNECTION LIMIT', `CONNECTION LIMIT ${row[at]}`);
  if (row[at + 1]) attributes.set('VALID UNTIL', `VALID UNTIL ${quoteLiteral(String(row[at + 1]))}`);
  const settings = new Map<string, string>();
  for (const item of JSON.parse(String(row[at + 3])) as string[]) {
    const eq = item.indexOf('=');
    settings.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return {
    name,
    attributes,
    sameValidUntil: row[at + 2] === 't',
    settings,
    memberOf: new Set(JSON.parse(String(row[at + 4])) as string[]),
  };
}

/** The VALID UNTIL literal of the backup's role, for readServerRole to compare on the server. */
export function validUntilOf(role: GlobalRole | undefined): string | undefined {
  return role?.attributes.find((token) => token.startsWith('VALID UNTIL'))?.slice('VALID UNTIL '.length);
}

/**
 * A setting's value as one text: the server's rolconfig entry (`"$user", app`) and pg_dumpall's
 * statement (`'$user', 'app'`) name the same list in different quoting.
 */
function settingValue(text: string): string {
  const items = text.match(/"(?:[^"]|"")*"|'(?:[^']|'')*'|[^,\s][^,]*/g) ?? [];
  return items
    .map((item) => item.trim())
    .map((item) =>
      item.startsWith("'")
        ? item.slice(1, -1).replace(/''/g, "'")
        : item.startsWith('"')
          ? item.slice(1, -1).replace(/""/g, '"')
          : item,
    )
    .join(', ');
}

function backupSettingValue(statement: string): string {
  return settingValue(statement.replace(/^.*? SET \S+ TO /, '').replace(/;$/, ''));
}

function attributeDifferences(backupRole: GlobalRole, server: ServerRole): RoleDifference[] {
  const differences: RoleDifference[] = [];
  const role = backupRole.name;
  for (const [name, token] of backupAttributes(backupRole)) {
    const theirs = server.attributes.get(name) ?? '-';
    const same = name === 'VALID UNTIL' ? server.sameValidUntil : theirs === token;
    if (!same)
      differences.push({
        role,
        kind: 'attribute',
        backup: token,
        server: theirs,
        update: `ALTER ROLE ${quoteIdent(role)} WITH ${token};`,
      });
  }
  const validUntil = server.attributes.get('VALID UNTIL');
  if (validUntil && !backupAttributes(backupRole).has('VALID UNTIL') && !server.sameValidUntil) {
    differences.push({
      role,
      kind: 'attribute',
      backup: '-',
      server: validUntil,
      update: `ALTER ROLE ${quoteIdent(role)} WITH VALID UNTIL 'infinity';`,
    });
  }
  return differences;
}

function settingDifferences(backupRole: GlobalRole, server: ServerRole): RoleDifference[] {
  const differences: RoleDifference[] = [];
  const role = backupRole.name;
  const names = new Set([...[...backupRole.settings.keys()].map(unquoteIdent), ...server.settings.keys()]);
  const statements = new Map([...backupRole.settings].map(([name, statement]) => [unquoteIdent(name), statement]));
  for (const name of [...names].sort()) {
    const statement = statements.get(name);
    const ours = statement === undefined ? undefined : backupSettingValue(statement);
    const theirs = server.settings.has(name) ? settingValue(server.settings.get(name) as string) : undefined;
    if (ours === theirs) continue;
    differences.push({
      role,
      kind: 'setting',
      backup: ours === undefined ? '-' : `${name}=${ours}`,
      server: theirs === undefined ? '-' : `${name}=${theirs}`,
      ...(statement ? { update: statement } : {}),
    });
  }
  return differences;
}

function membershipDifferences(role: string, memberships: readonly Membership[], server: ServerRole): RoleDifference[] {
  const ours = new Map(
    memberships.filter((m) => m.member === role && !server.memberOf.has(m.role)).map((m) => [m.role, m.statement]),
  );
  const theirs = [...server.memberOf].filter((name) => !memberships.some((m) => m.member === role && m.role === name));
  return [
    ...[...ours].map(([of, statement]) => ({
      role,
      kind: 'membership' as const,
      backup: `member of ${of}`,
      server: '-',
      update: statement,
    })),
    ...theirs.map((of) => ({ role, kind: 'membership' as const, backup: '-', server: `member of ${of}` })),
  ];
}

/** How the server's role differs from the backup's: attributes, settings, memberships (none of the passwords, which the backup never holds). */
export function roleDifferences(
  backupRole: GlobalRole,
  memberships: readonly Membership[],
  server: ServerRole,
): RoleDifference[] {
  return [
    ...attributeDifferences(backupRole, server),
    ...settingDifferences(backupRole, server),
    ...membershipDifferences(backupRole.name, memberships, server),
  ];
}
