import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { describe, expect, test } from '@jest/globals';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { ConfigurationError } from '../../src/errors.js';
import { parseDumpRoles } from '../../src/postgres/dump-roles.js';
import { databaseStatements, parseGlobals, planRoles } from '../../src/postgres/globals.js';
import { roleDifferences } from '../../src/postgres/role-differences.js';
import { scramVerifier } from '../../src/postgres/role-sql.js';
import { parseRolePasswords, rolePasswordSecrets } from '../../src/restore/role-passwords.js';

/** pg_dumpall --globals-only --no-role-passwords of PostgreSQL 16 (memberships WITH INHERIT), and the database's section after it. */
const GLOBALS = `--
-- PostgreSQL database cluster dump
--

SET default_transaction_read_only = off;

CREATE ROLE "App ""Web""";
ALTER ROLE "App ""Web""" WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS CONNECTION LIMIT 5 VALID UNTIL '2030-01-01 00:00:00+00';
CREATE ROLE owner;
ALTER ROLE owner WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE postgres;
ALTER ROLE postgres WITH SUPERUSER INHERIT CREATEROLE CREATEDB LOGIN REPLICATION BYPASSRLS;
CREATE ROLE readers;
ALTER ROLE readers WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB NOLOGIN NOREPLICATION NOBYPASSRLS;
CREATE ROLE unrelated;
ALTER ROLE unrelated WITH NOSUPERUSER INHERIT NOCREATEROLE NOCREATEDB LOGIN NOREPLICATION NOBYPASSRLS;
ALTER ROLE "App ""Web""" SET search_path TO 'app', 'public';

GRANT readers TO "App ""Web""" WITH INHERIT TRUE GRANTED BY postgres;
GRANT pg_read_all_stats TO readers WITH ADMIN OPTION, INHERIT TRUE GRANTED BY postgres;
GRANT pg_monitor TO unrelated WITH INHERIT TRUE GRANTED BY postgres;

--
-- The database's own settings (pg_dump --create of "Saas DB"): owner, settings, role settings in it, grants on it
--

CREATE DATABASE "Saas DB" WITH TEMPLATE = template0 ENCODING = 'UTF8' LOCALE_PROVIDER = libc LOCALE = 'C';
ALTER DATABASE "Saas DB" OWNER TO owner;
ALTER DATABASE "Saas DB" SET search_path TO '$user', 'app';
ALTER ROLE readers IN DATABASE "Saas DB" SET statement_timeout TO '7s';
REVOKE CONNECT,TEMPORARY ON DATABASE "Saas DB" FROM PUBLIC;
GRANT CONNECT ON DATABASE "Saas DB" TO readers;
`;

describe('parseGlobals', () => {
  const globals = parseGlobals(GLOBALS);

  test('reads each role with the statements that recreate it, leaving out what CREATE ROLE gives anyway', () => {
    expect(globals.roles.get('App "Web"')).toEqual({
      name: 'App "Web"',
      login: true,
      superuser: false,
      statements: [
        'CREATE ROLE "App ""Web""";',
        `ALTER ROLE "App ""Web""" WITH LOGIN CONNECTION LIMIT 5 VALID UNTIL '2030-01-01 00:00:00+00';`,
        `ALTER ROLE "App ""Web""" SET search_path TO 'app', 'public';`,
      ],
      attributes: [
        'NOSUPERUSER',
        'INHERIT',
        'NOCREATEROLE',
        'NOCREATEDB',
        'LOGIN',
        'NOREPLICATION',
        'NOBYPASSRLS',
        'CONNECTION LIMIT 5',
        "VALID UNTIL '2030-01-01 00:00:00+00'",
      ],
      settings: new Map([['search_path', `ALTER ROLE "App ""Web""" SET search_path TO 'app', 'public';`]]),
    });
    expect(globals.roles.get('owner')?.statements).toEqual(['CREATE ROLE owner;']);
    expect(globals.roles.get('postgres')).toMatchObject({ superuser: true, login: true });
  });

  test('reads memberships without their grantor, and the database statements apart', () => {
    expect(globals.memberships).toEqual([
      { role: 'readers', member: 'App "Web"', statement: 'GRANT readers TO "App ""Web""" WITH INHERIT TRUE;' },
      {
        role: 'pg_read_all_stats',
        member: 'readers',
        statement: 'GRANT pg_read_all_stats TO readers WITH ADMIN OPTION, INHERIT TRUE;',
      },
      { role: 'pg_monitor', member: 'unrelated', statement: 'GRANT pg_monitor TO unrelated WITH INHERIT TRUE;' },
    ]);
    expect(globals.databaseSql).toHaveLength(5);
  });

  test('plans the needed roles and those joined to them by membership, not the ones the target has nor unrelated ones', () => {
    const plan = planRoles(
      globals,
      ['owner', 'readers', 'postgres', 'ghost'],
      new Set(['postgres', 'pg_read_all_stats', 'pg_monitor']),
    );
    expect(plan.create.map((r) => r.name)).toEqual(['App "Web"', 'owner', 'readers']);
    expect(plan.memberships).toEqual([
      'GRANT readers TO "App ""Web""" WITH INHERIT TRUE;',
      'GRANT pg_read_all_stats TO readers WITH ADMIN OPTION, INHERIT TRUE;',
    ]);
    expect(plan.missing).toEqual(['ghost']);
    expect(plan.existing).toEqual(['postgres']);
    expect(plan.reached).toEqual(['postgres']);
  });

  test('keeping existing roles, none is made a member of another; a role it creates still joins an existing one', () => {
    // readers exists: App "Web" is created and joins it; owner exists and is needed.
    const plan = planRoles(globals, ['owner', 'App "Web"'], new Set(['owner', 'readers', 'pg_read_all_stats']), true);
    expect(plan.create.map((r) => r.name)).toEqual(['App "Web"']);
    expect(plan.memberships).toEqual(['GRANT readers TO "App ""Web""" WITH INHERIT TRUE;']);
    expect(plan.reached).toEqual(['owner', 'readers']);
    // The other way round: App "Web" exists, readers is created; App "Web" is not made its member.
    const kept = planRoles(globals, ['readers'], new Set(['App "Web"', 'pg_read_all_stats']), true);
    expect(kept.create.map((r) => r.name)).toEqual(['readers']);
    expect(kept.memberships).toEqual(['GRANT pg_read_all_stats TO readers WITH ADMIN OPTION, INHERIT TRUE;']);
    expect(kept.reached).toEqual(['App "Web"']);
    expect(planRoles(globals, ['readers'], new Set(['App "Web"', 'pg_read_all_stats'])).memberships).toContain(
      'GRANT readers TO "App ""Web""" WITH INHERIT TRUE;',
    );
  });

  test("an existing role is compared with the backup's: attributes, settings in either quoting, memberships either side lacks", () => {
    const backupRole = globals.roles.get('App "Web"');
    if (!backupRole) throw new Error('no role');
    const server = {
      name: 'App "Web"',
      attributes: new Map([
        ['SUPERUSER', 'NOSUPERUSER'],
        ['INHERIT', 'INHERIT'],
        ['CREATEROLE', 'NOCREATEROLE'],
        ['CREATEDB', 'CREATEDB'],
        ['LOGIN', 'LOGIN'],
        ['REPLICATION', 'NOREPLICATION'],
        ['BYPASSRLS', 'NOBYPASSRLS'],
        ['CONNECTION LIMIT', 'CONNECTION LIMIT -1'],
      ]),
      sameValidUntil: true,
      settings: new Map([
        ['search_path', 'app, public'],
        ['work_mem', '8MB'],
      ]),
      memberOf: new Set(['pg_monitor']),
    };
    expect(roleDifferences(backupRole, globals.memberships, server)).toEqual([
      {
        role: 'App "Web"',
        kind: 'attribute',
        backup: 'CONNECTION LIMIT 5',
        server: 'CONNECTION LIMIT -1',
        update: 'ALTER ROLE "App ""Web""" WITH CONNECTION LIMIT 5;',
      },
      {
        role: 'App "Web"',
        kind: 'attribute',
        backup: 'NOCREATEDB',
        server: 'CREATEDB',
        update: 'ALTER ROLE "App ""Web""" WITH NOCREATEDB;',
      },
      { role: 'App "Web"', kind: 'setting', backup: '-', server: 'work_mem=8MB' },
      {
        role: 'App "Web"',
        kind: 'membership',
        backup: 'member of readers',
        server: '-',
        update: 'GRANT readers TO "App ""Web""" WITH INHERIT TRUE;',
      },
      { role: 'App "Web"', kind: 'membership', backup: '-', server: 'member of pg_monitor' },
    ]);
    const quoted = { ...server, settings: new Map([['search_path', '"$user", app']]) };
    const withUser = {
      ...backupRole,
      settings: new Map([['search_path', `ALTER ROLE "App ""Web""" SET search_path TO '$user', 'app';`]]),
    };
    expect(roleDifferences(withUser, globals.memberships, quoted).filter((d) => d.kind === 'setting')).toEqual([]);
  });

  test("rewrites the database's own statements for the restored database's name", () => {
    expect(databaseStatements(globals.databaseSql, 'rebuilt "x"')).toEqual([
      'ALTER DATABASE "rebuilt ""x""" OWNER TO owner;',
      `ALTER DATABASE "rebuilt ""x""" SET search_path TO '$user', 'app';`,
      `ALTER ROLE readers IN DATABASE "rebuilt ""x""" SET statement_timeout TO '7s';`,
      'REVOKE CONNECT,TEMPORARY ON DATABASE "rebuilt ""x""" FROM PUBLIC;',
      'GRANT CONNECT ON DATABASE "rebuilt ""x""" TO readers;',
    ]);
  });
});

test('parseDumpRoles counts owners from the entry headers and grantees from the ACL entries, database entries apart', () => {
  const dump = [
    '-- Name: Saas DB; Type: DATABASE; Schema: -; Owner: owner',
    'CREATE DATABASE "Saas DB" WITH TEMPLATE = template0;',
    '-- Name: s; Type: SCHEMA; Schema: -; Owner: owner',
    'CREATE SCHEMA s;',
    '-- Name: f(); Type: FUNCTION; Schema: s; Owner: Fn Owner',
    'CREATE FUNCTION s.f() RETURNS void AS $$',
    'GRANT SELECT ON TABLE s.t TO inside_a_body;',
    '$$;',
    '-- Name: COMMENT f(); Type: COMMENT; Schema: s; Owner: Fn Owner',
    "COMMENT ON FUNCTION s.f() IS 'x';",
    '-- Name: DATABASE "Saas DB"; Type: ACL; Schema: -; Owner: owner',
    'GRANT CONNECT ON DATABASE "Saas DB" TO db_user;',
    '-- Name: TABLE t; Type: ACL; Schema: s; Owner: owner',
    'REVOKE ALL ON TABLE s.t FROM PUBLIC;',
    'GRANT SELECT ON TABLE s.t TO "Read ""Only""";',
    'GRANT ALL ON TABLE s.t TO writer WITH GRANT OPTION;',
  ].join('\n');
  const parsed = parseDumpRoles(dump);
  expect(parsed.roles).toEqual([
    { name: 'Fn Owner', owns: 1, grants: 0 },
    { name: 'Read "Only"', owns: 0, grants: 1 },
    { name: 'db_user', owns: 0, grants: 0 },
    { name: 'owner', owns: 1, grants: 0 },
    { name: 'writer', owns: 0, grants: 1 },
  ]);
  expect(parsed.databaseSql).toEqual([
    'CREATE DATABASE "Saas DB" WITH TEMPLATE = template0;',
    'GRANT CONNECT ON DATABASE "Saas DB" TO db_user;',
  ]);
});

test('scramVerifier computes what the server checks a SCRAM-SHA-256 login against', () => {
  const salt = Buffer.from('0123456789abcdef');
  const verifier = scramVerifier('pässword', salt);
  const salted = pbkdf2Sync('pässword', salt, 4096, 32, 'sha256');
  const stored = createHash('sha256')
    .update(createHmac('sha256', salted).update('Client Key').digest())
    .digest('base64');
  const server = createHmac('sha256', salted).update('Server Key').digest('base64');
  expect(verifier).toBe(`SCRAM-SHA-256$4096:${salt.toString('base64')}$${stored}:${server}`);
  expect(scramVerifier('x')).not.toBe(scramVerifier('x'));
});

describe('inputs', () => {
  test('backup globals: required by default, best-effort or off', () => {
    const parse = (globals: string) =>
      parseBackupInputs(
        (name) => ({ 'database-url': 'postgres://u:p@h/d', bucket: 'saas-backups', globals })[name] ?? '',
        {},
      ).globals;
    expect(parse('')).toBe('required');
    expect(parse('best-effort')).toBe('best-effort');
    expect(parse('off')).toBe('off');
    expect(() => parse('sometimes')).toThrow("globals must be one of required, best-effort, off, got 'sometimes'");
  });

  test('role-passwords: a JSON object of role to password, only with rebuild, never quoted in an error', () => {
    expect(parseRolePasswords('', false)).toEqual({});
    expect(parseRolePasswords('{"app": "s3cret", "Ops Team": "x"}', true)).toEqual({ app: 's3cret', 'Ops Team': 'x' });
    const errors = ['{"app": "s3cret"', '["s3cret"]', '{"app": 5}', '{"app": ""}', '{"": "s3cret"}'].map((input) => {
      try {
        parseRolePasswords(input, true);
        return 'no error';
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        return (error as Error).message;
      }
    });
    expect(errors.every((message) => message !== 'no error' && !message.includes('s3cret'))).toBe(true);
    expect(() => parseRolePasswords('{"app": "s3cret"}', false)).toThrow('role-passwords is set, but rebuild is not');
    expect(rolePasswordSecrets('{"app": "a\\"b"}')).toEqual(['{"app": "a\\"b"}', 'a"b', 'a\\"b']);
  });
});
