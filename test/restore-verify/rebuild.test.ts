import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import type { BackupResult } from '../../src/backup/run-backup.js';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup } from '../../src/backup/run-backup.js';
import { parseRestoreVerifyInputs } from '../../src/restore/inputs.js';
import { ownershipStep } from '../../src/restore/rebuild.js';
import type { RestoreVerifyDetails } from '../../src/restore/restore-report.js';
import { restoreVerifyMarkdown } from '../../src/restore/summary.js';
import { ownSecondClock } from '../helpers/backup-run.js';
import type { Logger } from '../../src/util/logger.js';
import { silentLogger } from '../../src/util/logger.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { stackFromEnv } from '../../harness/stack.js';
import { pgBinDir, startPostgres, type PostgresServer } from '../../harness/postgres.js';
import { getObject, PREFIX, reader, reportPath, restoreVerify, stepOf } from './fixtures.js';
import { createRolesAndSchema, dropRoles, roleFixture } from './rebuild-roles.js';

/** A logger that keeps every line, to prove no password reaches the logs. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(m), warning: (m) => lines.push(m), debug: (m) => lines.push(m) };
}

async function backupWith(
  databaseUrl: string,
  bucket: string,
  inputs: Record<string, string>,
  log: Logger = silentLogger,
): Promise<BackupResult> {
  const settings = parseBackupInputs(
    reader({
      'database-url': databaseUrl,
      bucket,
      prefix: PREFIX,
      'endpoint-url': stackFromEnv().awsEndpoint,
      retention: 'off',
      ...inputs,
    }),
  );
  return runBackup({ ...settings, run: {}, log, clock: ownSecondClock() });
}

/** PATH with pg_dump, pg_restore and psql, but no pg_dumpall beside them: the globals cannot be taken. */
async function withoutPgDumpall<T>(fn: () => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-no-dumpall-'));
  const bin = await pgBinDir();
  for (const tool of ['pg_dump', 'pg_restore', 'psql']) await symlink(join(bin, tool), join(dir, tool));
  const saved = process.env.PATH;
  process.env.PATH = `${dir}${delimiter}${saved ?? ''}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = saved;
    await rm(dir, { recursive: true, force: true });
  }
}

const psqlAs = (server: PostgresServer, user: string, password: string, database: string, statement: string) =>
  execa(
    'psql',
    [
      '-X',
      '-A',
      '-t',
      '-v',
      'ON_ERROR_STOP=1',
      '-h',
      server.host,
      '-p',
      String(server.port),
      '-U',
      user,
      '-d',
      database,
      '-c',
      statement,
    ],
    {
      env: { PGPASSWORD: password },
      reject: false,
    },
  );

describe('rebuild: roles and globals with every backup, restored onto an empty server', () => {
  const roles = roleFixture();
  const newPassword = `new-pw-${createHash('sha256').update(roles.app).digest('hex').slice(0, 12)}`;
  let source: { name: string; url: string };
  let bucket: string;
  let backup: BackupResult;
  let empty: PostgresServer;
  const log = recordingLogger();

  beforeAll(async () => {
    const stack = stackFromEnv();
    [source, empty] = await Promise.all([createDatabase('rb_src'), startPostgres()]);
    await createRolesAndSchema(roles, stack.postgresUrl('postgres'), source.name, source.url);
    bucket = await createBucket('rebuild');
    backup = await backupWith(source.url, bucket, {}, log);
  });

  afterAll(async () => {
    await empty?.stop();
    if (source) await dropDatabase(source.name);
    await dropRoles(roles, stackFromEnv().postgresUrl('postgres'));
  });

  test('the backup stores the globals without passwords beside the dump, hashed in the manifest, and lists the roles the dump depends on', async () => {
    const globals = backup.manifest.globals;
    expect(globals).toMatchObject({ status: 'stored', key: `${backup.key}.globals.sql` });
    if (globals?.status !== 'stored') throw new Error('no globals');
    const body = await getObject(bucket, globals.key);
    expect(body.length).toBe(globals.sizeBytes);
    expect(createHash('sha256').update(body).digest('hex')).toBe(globals.sha256);
    const text = body.toString('utf8');
    expect(text).toContain(`CREATE ROLE ${roles.app};`);
    expect(text).toContain(`ALTER ROLE ${roles.app} SET statement_timeout TO '5s';`);
    expect(text).toMatch(new RegExp(`GRANT ${roles.readers} TO "${roles.ops}"`));
    expect(text).toContain(`ALTER DATABASE ${source.name} SET work_mem TO '8MB';`);
    expect(text).toContain(`ALTER ROLE ${roles.readers} IN DATABASE ${source.name} SET lock_timeout TO '7s';`);
    expect(text).toContain(`GRANT CONNECT ON DATABASE ${source.name} TO ${roles.readers};`);
    expect(text).not.toContain(roles.sourcePassword);
    expect(text).not.toMatch(/PASSWORD|SCRAM-SHA-256|md5[0-9a-f]{32}/);

    const listed = Object.fromEntries((backup.manifest.roles ?? []).map((r) => [r.name, [r.owns, r.grants]]));
    // The schema, the table, its sequence, the sequence's OWNED BY, the column default, the primary key, the default privileges.
    expect(listed[roles.owner]).toEqual([7, 0]);
    // USAGE on the schema, SELECT on the table, USAGE and SELECT on the sequence, the default privileges; CONNECT on the database is the database's own.
    expect(listed[roles.readers]).toEqual([0, 4]);
    expect(listed[roles.app]).toBeUndefined();
    expect(log.lines.join('\n')).not.toContain(roles.sourcePassword);
  });

  test('in the default mode, roles the target lacks are reported, and the restore goes on without owners', async () => {
    const result = await restoreVerify({ bucket, 'target-database-url': empty.url('scratch_default') });
    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);
    expect(stepOf(result, 'roles')).toMatchObject({ status: 'passed' });
    expect(stepOf(result, 'roles').detail).toContain(
      `2 of 2 roles the dump depends on are missing on the target: ${roles.owner}, ${roles.readers}`,
    );
    expect(result.report.details.roles).toMatchObject({
      mode: 'scratch',
      missing: [roles.owner, roles.readers],
      created: [],
    });
    expect(result.report.steps.map((s) => s.name)).not.toContain('ownership');
    expect(restoreVerifyMarkdown(result.report)).toContain(`missing on the target: ${roles.owner}, ${roles.readers}`);
  });

  test('a rebuild from a backup whose globals are missing fails at the roles step, before anything is restored', async () => {
    const degraded = await withoutPgDumpall(() => backupWith(source.url, bucket, { globals: 'best-effort' }));
    expect(degraded.manifest.globals).toMatchObject({ status: 'missing' });
    expect(degraded.manifest.globals?.status === 'missing' && degraded.manifest.globals.reason).toContain('pg_dumpall');

    const result = await restoreVerify({
      bucket,
      backup: degraded.key,
      rebuild: 'true',
      'target-database-url': empty.url('rebuilt_without_globals'),
    });
    expect(result.passed).toBe(false);
    expect(stepOf(result, 'roles').status).toBe('failed');
    expect(result.report.reasons).toEqual([
      expect.stringContaining(
        `roles: the dump depends on roles the target does not have: ${roles.owner}, ${roles.readers}; the backup has no stored globals (missing: `,
      ),
    ]);
    for (const name of ['create database', 'restore', 'database settings', 'verify', 'ownership']) {
      expect(stepOf(result, name)).toMatchObject({ status: 'skipped', detail: "not run: 'roles' failed" });
    }
    expect(await sql(empty.url(), "SELECT count(*) FROM pg_database WHERE datname = 'rebuilt_without_globals'")).toBe(
      '0',
    );
  });

  test('globals: required fails the backup, naming the cause, before anything is dumped', async () => {
    await expect(withoutPgDumpall(() => backupWith(source.url, bucket, {}))).rejects.toThrow(
      /could not take the server's globals .*pg_dumpall.*set globals: best-effort/,
    );
  });

  test('a rebuild creates the roles, restores with owners and privileges, applies the database settings, checks ownership and grants, and the app role logs in', async () => {
    const rebuildLog = recordingLogger();
    const path = reportPath();
    const database = 'saas_rebuilt';
    const result = await restoreVerify(
      {
        bucket,
        backup: backup.key,
        rebuild: 'true',
        'role-passwords': JSON.stringify({ [roles.app]: newPassword }),
        'target-database-url': empty.url(database),
        'keep-database': 'true',
        'report-path': path,
        'smoke-env': 'APP_PASSWORD',
        'smoke-command': `sh -c 'PGUSER=${roles.app} PGPASSWORD="$APP_PASSWORD" psql -X -A -t -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM app.items"'`,
      },
      { log: rebuildLog, env: { ...process.env, APP_PASSWORD: newPassword } },
    );
    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.report.steps.map((s) => [s.name, s.status])).toEqual([
      ['select', 'passed'],
      ['preflight', 'passed'],
      ['download', 'passed'],
      ['checksum', 'passed'],
      ['roles', 'passed'],
      ['create database', 'passed'],
      ['restore', 'passed'],
      ['database settings', 'passed'],
      ['verify', 'passed'],
      ['ownership', 'passed'],
      ['checks', 'skipped'],
      ['smoke', 'passed'],
      ['drop', 'skipped'],
    ]);
    expect(result.report.details.roles).toMatchObject({
      mode: 'rebuild',
      missing: [],
      created: [roles.ops, roles.app, roles.owner, roles.readers].sort(),
      needPassword: [roles.ops],
      passwordsSet: [roles.app],
    });
    expect(result.report.details.smoke?.output.trim()).toBe('25');
    expect(result.report.objectives[0]).toMatchObject({
      name: 'RTO',
      scenario: 'infrastructure failure',
      targetSeconds: 14_400,
      passed: true,
    });

    const server = empty.url(database);
    expect(await sql(server, `SELECT relowner::regrole FROM pg_class WHERE oid = 'app.items'::regclass`)).toBe(
      roles.owner,
    );
    expect(await sql(server, `SELECT nspowner::regrole FROM pg_namespace WHERE nspname = 'app'`)).toBe(roles.owner);
    expect(await sql(server, `SELECT datdba::regrole FROM pg_database WHERE datname = current_database()`)).toBe(
      roles.owner,
    );
    expect(
      await sql(
        server,
        `SELECT has_table_privilege('${roles.readers}', 'app.items', 'SELECT'), has_table_privilege('${roles.readers}', 'app.items', 'INSERT'), has_sequence_privilege('${roles.readers}', 'app.items_id_seq', 'USAGE'), has_schema_privilege('${roles.readers}', 'app', 'USAGE'), has_database_privilege('${roles.readers}', current_database(), 'CONNECT')`,
      ),
    ).toBe('t|f|t|t|t');
    expect(
      await sql(
        server,
        `SELECT pg_has_role('${roles.app}', '${roles.readers}', 'MEMBER'), pg_has_role('${roles.ops}', '${roles.readers}', 'MEMBER')`,
      ),
    ).toBe('t|t');
    expect(
      await sql(
        server,
        `SELECT rolconfig::text, rolconnlimit, rolcanlogin FROM pg_roles WHERE rolname = '${roles.app}'`,
      ),
    ).toBe('{statement_timeout=5s}|20|t');
    expect(
      await sql(
        server,
        `SELECT setconfig::text FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase WHERE d.datname = current_database() ORDER BY setrole`,
      ),
    ).toBe(`{work_mem=8MB,"search_path=\\"$user\\", app, public"}\n{lock_timeout=7s}`);

    const asApp = await psqlAs(
      empty,
      roles.app,
      newPassword,
      database,
      'SELECT count(*) FROM app.items; SHOW statement_timeout; SHOW work_mem',
    );
    expect(asApp.stderr).toBe('');
    expect(asApp.stdout.split('\n')).toEqual(['25', '5s', '8MB']);
    expect(
      (await psqlAs(empty, roles.app, newPassword, database, "INSERT INTO app.items (name) VALUES ('x')")).stderr,
    ).toContain('permission denied');
    expect((await psqlAs(empty, roles.app, roles.sourcePassword, database, 'SELECT 1')).stderr).toContain(
      'password authentication failed',
    );

    const report = await readFile(path, 'utf8');
    const everything = [report, restoreVerifyMarkdown(result.report), rebuildLog.lines.join('\n')].join('\n');
    expect(everything).not.toContain(newPassword);
    expect(everything).not.toContain(roles.sourcePassword);
    expect(everything).toContain(roles.ops);
  });

  test('the ownership check fails when an owner or a grant differs from the manifest', async () => {
    const database = 'saas_rebuilt';
    // The table takes its sequence, the sequence's OWNED BY, the column default and the primary key with it: five entries.
    await sql(
      empty.url(database),
      `ALTER TABLE app.items OWNER TO postgres; REVOKE SELECT ON app.items FROM ${roles.readers}`,
    );
    const settings = parseRestoreVerifyInputs(
      reader({ bucket, 'target-database-url': empty.url(database), rebuild: 'true' }),
    );
    const details = { roles: undefined } as unknown as RestoreVerifyDetails;
    const check = ownershipStep({ settings, details }, backup.manifest, { serverMajor: 15, serverVersion: '15' });
    await expect(check).rejects.toMatchObject({
      reasons: [
        `ownership: ${roles.owner} owns 2 entries and holds 0 grants, the manifest says 7 and 0`,
        'ownership: postgres owns 5 entries and holds 0 grants, the manifest says 0 and 0',
        `ownership: ${roles.readers} owns 0 entries and holds 3 grants, the manifest says 0 and 4`,
      ],
    });
  });

  test('a rebuild whose role-passwords names a role nobody has fails before anything is restored', async () => {
    const result = await restoreVerify({
      bucket,
      backup: backup.key,
      rebuild: 'true',
      'role-passwords': '{"no_such_role_x": "whatever-pw"}',
      'target-database-url': empty.url('rebuilt_bad_passwords'),
    });
    expect(result.report.reasons).toEqual([
      'roles: role-passwords names no_such_role_x, which neither the target nor the rebuilt roles have; fix the names in role-passwords. Nothing was restored',
    ]);
    expect(stepOf(result, 'restore').status).toBe('skipped');
    expect(JSON.stringify(result.report)).not.toContain('whatever-pw');
  });
});

describe('rebuild onto a server that already has a role of the same name', () => {
  const roles = roleFixture();
  const oldPassword = `old-pw-${createHash('sha256').update(roles.app).digest('hex').slice(0, 12)}`;
  const newPassword = `new-pw-${createHash('sha256').update(roles.owner).digest('hex').slice(0, 12)}`;
  let source: { name: string; url: string };
  let bucket: string;
  let backup: BackupResult;
  let server: PostgresServer;

  beforeAll(async () => {
    const stack = stackFromEnv();
    [source, server] = await Promise.all([createDatabase('rb_exist'), startPostgres()]);
    await createRolesAndSchema(roles, stack.postgresUrl('postgres'), source.name, source.url);
    bucket = await createBucket('rebuild-existing');
    backup = await backupWith(source.url, bucket, {});
    // The server's own app role: another password, another connection limit, no settings, and not a member of readers.
    await sql(server.url('postgres'), `CREATE ROLE ${roles.app} LOGIN PASSWORD '${oldPassword}' CONNECTION LIMIT 3`);
  });

  afterAll(async () => {
    await server?.stop();
    if (source) await dropDatabase(source.name);
    await dropRoles(roles, stackFromEnv().postgresUrl('postgres'));
  });

  const appRole = () =>
    sql(
      server.url('postgres'),
      `SELECT rolconnlimit, coalesce(rolconfig::text, '-'), pg_has_role('${roles.app}', '${roles.readers}', 'MEMBER') FROM pg_roles WHERE rolname = '${roles.app}'`,
    );
  const logsIn = async (password: string) =>
    (await psqlAs(server, roles.app, password, 'postgres', 'SELECT 1')).stdout === '1';

  test('existing-roles: keep (the default) changes nothing of it, role-passwords included, and reports every difference', async () => {
    const log = recordingLogger();
    const result = await restoreVerify(
      {
        bucket,
        backup: backup.key,
        rebuild: 'true',
        'role-passwords': JSON.stringify({ [roles.app]: newPassword }),
        'target-database-url': server.url('saas_keep'),
        'keep-database': 'true',
      },
      { log },
    );
    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);

    expect(await logsIn(oldPassword)).toBe(true);
    expect(await logsIn(newPassword)).toBe(false);
    expect(await appRole()).toBe('3|-|f');

    const rolesDetails = result.report.details.roles;
    expect(rolesDetails).toMatchObject({
      existingRoles: 'keep',
      passwordsSet: [],
      created: [roles.ops, roles.owner, roles.readers].sort(),
    });
    expect(rolesDetails?.differences).toEqual([
      {
        role: roles.app,
        kind: 'attribute',
        backup: 'CONNECTION LIMIT 20',
        server: 'CONNECTION LIMIT 3',
        updated: false,
      },
      { role: roles.app, kind: 'setting', backup: 'statement_timeout=5s', server: '-', updated: false },
      { role: roles.app, kind: 'membership', backup: `member of ${roles.readers}`, server: '-', updated: false },
      { role: roles.app, kind: 'password', backup: 'role-passwords gives one', server: 'its own', updated: false },
    ]);
    expect(stepOf(result, 'roles').detail).toContain(
      "4 differences between 1 existing role and the backup's, left as they are (existing-roles: keep)",
    );
    const summary = restoreVerifyMarkdown(result.report);
    expect(summary).toContain('### Existing roles: 4 differences from the backup');
    expect(summary).toContain(`| \`${roles.app}\` | membership | \`member of ${roles.readers}\` | - | left as it is |`);
    expect(log.lines.join('\n')).toContain(
      `roles: roles the server already had differ from the backup's and were left as they are: ${roles.app}: attribute (backup CONNECTION LIMIT 20, server CONNECTION LIMIT 3)`,
    );
    expect(JSON.stringify(result.report) + summary + log.lines.join('\n')).not.toContain(newPassword);
  });

  test("existing-roles: update gives it the backup's password, attributes, settings and memberships", async () => {
    const result = await restoreVerify({
      bucket,
      backup: backup.key,
      rebuild: 'true',
      'existing-roles': 'update',
      'role-passwords': JSON.stringify({ [roles.app]: newPassword }),
      'target-database-url': server.url('saas_update'),
      'keep-database': 'true',
    });
    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);

    expect(await logsIn(newPassword)).toBe(true);
    expect(await logsIn(oldPassword)).toBe(false);
    expect(await appRole()).toBe('20|{statement_timeout=5s}|t');
    expect(result.report.details.roles).toMatchObject({
      existingRoles: 'update',
      passwordsSet: [roles.app],
      created: [],
    });
    expect(result.report.details.roles?.differences?.filter((d) => d.role === roles.app)).toEqual([
      {
        role: roles.app,
        kind: 'attribute',
        backup: 'CONNECTION LIMIT 20',
        server: 'CONNECTION LIMIT 3',
        updated: true,
      },
      { role: roles.app, kind: 'setting', backup: 'statement_timeout=5s', server: '-', updated: true },
      { role: roles.app, kind: 'membership', backup: `member of ${roles.readers}`, server: '-', updated: true },
      { role: roles.app, kind: 'password', backup: 'role-passwords gives one', server: 'its own', updated: true },
    ]);
  });
});
