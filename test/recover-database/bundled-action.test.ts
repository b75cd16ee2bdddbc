import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execa } from 'execa';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { claimTarget } from '../../src/postgres/target-claim.js';
import { restoredName } from '../../src/recover-database/names.js';
import { databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { listKeys, testS3Client } from '../helpers/s3.js';
import { rowCounts } from '../helpers/sample-data.js';
import { startHealthServer, type HealthServer } from '../../harness/health-server.js';
import { stackFromEnv } from '../../harness/stack.js';
import {
  count,
  databaseNames,
  databaseOid,
  databasesOf,
  executeInputs,
  LOST_USERS,
  productionWithBackup,
  readReport,
  recover,
  reportFile,
  startRecordingProxy,
  type Production,
} from './fixtures.js';

const STAMPED = /^[a-z0-9_]+_damaged_\d{8}_\d{6}$/;
const restoredOf = (production: Production) => restoredName(production.name, keyTime(production.key));

function keyTime(key: string): Date {
  const [, y, mo, d, h, mi, s] = /backup_(\d{4})(\d{2})(\d{2})_(\d{2})(\d{2})(\d{2})/.exec(key) as RegExpExecArray;
  return new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`);
}

/** A session of the application's still in the database, until stop() ends it; resolves once the server shows it. */
async function holdSession(url: string, application: string): Promise<{ pid: string; stop(): void }> {
  const child = execa('psql', ['-X', '-d', url, '-c', 'SELECT pg_sleep(600)'], {
    env: { PGAPPNAME: application },
    reject: false,
  });
  const admin = stackFromEnv().postgresUrl('postgres');
  for (;;) {
    const pid = await sql(
      admin,
      `SELECT pid FROM pg_stat_activity WHERE application_name = '${application}' AND wait_event = 'PgSleep'`,
    );
    if (pid) return { pid, stop: () => child.kill('SIGTERM') };
    await sql(admin, 'SELECT pg_sleep(0.05)');
  }
}

describe('the bundled recover-database action (node24, as the runner calls it)', () => {
  let health: HealthServer;
  let dir: string;
  const created: string[] = [];

  beforeAll(async () => {
    health = await startHealthServer(200);
    dir = await mkdtemp(join(tmpdir(), 'dr-recover-'));
  });

  afterAll(async () => {
    await health.close();
    for (const name of (await databaseNames()).filter((n) => created.some((c) => n.startsWith(c))))
      await dropDatabase(name);
  });

  async function production(backupInputs: Record<string, string> = {}): Promise<Production> {
    const made = await productionWithBackup(backupInputs);
    created.push(made.name);
    return made;
  }

  test('plan reads only: no database created, every S3 request a read; it says what would be lost and outputs what execute is bound to', async () => {
    const prod = await production();
    const before = await databasesOf(prod);
    const proxy = await startRecordingProxy();
    const reportPath = reportFile();
    try {
      const run = await recover(prod, {
        'endpoint-url': proxy.url,
        'report-path': reportPath,
        'stop-command': 'true',
        'health-url': health.url,
      });
      expect(run.stderr).toBe('');
      expect(run.exitCode).toBe(0);
      expect(run.outputs).toMatchObject({
        mode: 'plan',
        'recovery-point': prod.key,
        replaces: await databaseOid(prod.name),
        recovered: 'false',
        'recovery-seconds': '',
        'report-path': reportPath,
      });
      expect(run.outputs['kept-as']).toMatch(STAMPED);
      expect(proxy.requests.length).toBeGreaterThan(0);
      expect(proxy.requests.filter((r) => r.method !== 'GET' && r.method !== 'HEAD')).toEqual([]);
      const report = await readReport(reportPath);
      expect(report.details.loss?.tables.find((t) => t.table === 'public.users')).toEqual({
        table: 'public.users',
        backupRows: 300,
        liveRows: 300 + LOST_USERS,
        difference: LOST_USERS,
      });
      expect(report.details.loss?.tables.find((t) => t.table === 'public.payments')).toMatchObject({
        backupRows: 2000,
        liveRows: 0,
        difference: -2000,
      });
      expect(report.details.actions.join('\n')).toContain(
        `ALTER DATABASE "${prod.name}" RENAME TO "${run.outputs['kept-as']}"`,
      );
      expect(run.summary).toContain(`## 📋 Recovery plan for \`${prod.name}\`: execute would proceed`);
      expect(run.summary).toContain(`| public.users | 300 | ${300 + LOST_USERS} | ${LOST_USERS} rows lost |`);
      expect(run.summary).not.toContain(stackFromEnv().postgres.password);
    } finally {
      await proxy.close();
    }
    expect(await databasesOf(prod)).toEqual(before);
    expect(health.requests).toBe(0);
  });

  test('execute without confirm, or bound to another recovery point, is refused before any change', async () => {
    const prod = await production();
    const before = await databasesOf(prod);
    const unconfirmed = await recover(prod, { mode: 'execute', 'expected-recovery-point': prod.key });
    expect(unconfirmed.exitCode).toBe(1);
    expect(unconfirmed.stdout).toContain(`set confirm to '${prod.name}'`);
    const otherPoint = `database/backup_20200101_000000.dump`;
    const rebound = await recover(prod, executeInputs(prod, { 'expected-recovery-point': otherPoint }));
    expect(rebound.exitCode).toBe(1);
    expect(rebound.stdout).toContain(
      `expected-recovery-point is ${otherPoint}, but this run would restore ${prod.key}`,
    );
    expect(rebound.outputs.recovered).toBe('false');
    const otherDatabase = await recover(prod, executeInputs(prod, { 'expected-replaces': '1' }));
    expect(otherDatabase.exitCode).toBe(1);
    expect(otherDatabase.stdout).toContain('expected-replaces is 1');
    expect(await databasesOf(prod)).toEqual(before);
  });

  test('a backup whose checksum fails never gets restored or renamed: production is untouched', async () => {
    const prod = await production();
    const oid = await databaseOid(prod.name);
    await testS3Client().send(
      new PutObjectCommand({ Bucket: prod.bucket, Key: prod.key, Body: Buffer.alloc(2048, 1) }),
    );
    const reportPath = reportFile();
    const run = await recover(prod, executeInputs(prod, { 'report-path': reportPath, 'stop-command': 'false' }));
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(/bytes, but its manifest says \d+ bytes/);
    const report = await readReport(reportPath);
    expect(report.steps.map((s) => `${s.name}: ${s.status}`)).toEqual(['plan: passed', 'download: failed']);
    expect(report.details.state).toContain(`${prod.name} was not changed (oid ${oid}); no database was created`);
    expect(await databaseOid(prod.name)).toBe(oid);
    expect(await databaseExists(restoredOf(prod))).toBe(false);
    expect(await count(prod.url, 'users')).toBe(300 + LOST_USERS);
  });

  test('a session still in production blocks the rename, named; a re-run with terminate-connections resumes from the proven restore', async () => {
    const prod = await production();
    const oid = await databaseOid(prod.name);
    const session = await holdSession(prod.url, 'billing-worker');
    try {
      const blocked = await recover(prod, executeInputs(prod, { 'stop-command': 'true' }));
      expect(blocked.exitCode).toBe(1);
      expect(blocked.stdout).toContain(
        `pid ${session.pid} (user ${stackFromEnv().postgres.user}, application 'billing-worker', from`,
      );
      expect(blocked.summary).toContain(`| ${session.pid} | ${stackFromEnv().postgres.user} | billing-worker |`);
      expect(blocked.summary).toContain(`the restored database ${restoredOf(prod)} is kept for inspection`);
      expect(await databaseOid(prod.name)).toBe(oid);
      expect(await count(stackFromEnv().postgresUrl(restoredOf(prod)), 'users')).toBe(300);

      const reportPath = reportFile();
      const resumed = await recover(
        prod,
        executeInputs(prod, { 'terminate-connections': 'true', 'health-url': health.url, 'report-path': reportPath }),
      );
      expect(resumed.stderr).toBe('');
      expect(resumed.exitCode).toBe(0);
      const report = await readReport(reportPath);
      expect(report.steps.map((s) => s.name)).toEqual([
        'plan',
        'stop-command',
        'sessions',
        'rename',
        'migrate-command',
        'start-command',
        'health',
      ]);
      expect(report.steps.find((s) => s.name === 'sessions')?.detail).toContain(
        `ended 1 sessions (terminate-connections): pid ${session.pid}`,
      );
      const keptAs = resumed.outputs['kept-as'] as string;
      expect(keptAs).toMatch(STAMPED);
      expect(resumed.outputs).toMatchObject({ recovered: 'true', 'recovery-point': prod.key, replaces: oid });
      expect(Number(resumed.outputs['recovery-seconds'])).toBeGreaterThan(0);
      // The damaged database survives, with its data (and its corruption) in it.
      expect(await databaseOid(keptAs)).toBe(oid);
      expect(await count(stackFromEnv().postgresUrl(keptAs), 'users')).toBe(300 + LOST_USERS);
      expect(await count(stackFromEnv().postgresUrl(keptAs), 'payments')).toBe(0);
      expect(await count(prod.url, 'users')).toBe(300);
      expect(await count(prod.url, 'payments')).toBe(2000);
      expect(await databaseExists(restoredOf(prod))).toBe(false);
    } finally {
      session.stop();
    }
  });

  test('execute restores a parallel backup (jobs: 2): its schema and both data parts downloaded, checked and restored; every table holds the rows that were dumped', async () => {
    const prod = await production({ jobs: '2' });
    const oid = await databaseOid(prod.name);
    expect(await listKeys(prod.bucket)).toEqual(
      expect.arrayContaining([prod.key, `${prod.key}.part-1`, `${prod.key}.part-2`]),
    );
    const plan = await recover(prod, { jobs: '2', 'stop-command': 'true' });
    expect(plan.exitCode).toBe(0);
    expect(plan.summary).toContain(
      `and its 2 data parts (${prod.key}.part-1, ${prod.key}.part-2), and compare each one's size and SHA-256 with the manifest`,
    );
    expect(plan.summary).toContain('then the 2 data parts 2 at a time, then the');
    expect(plan.summary).toMatch(/\| Backup \| [\d.]+ KiB in the object \(the schema\) and 2 data parts; /);

    const reportPath = reportFile();
    const run = await recover(prod, executeInputs(prod, { jobs: '2', 'report-path': reportPath }));
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toMatchObject({ recovered: 'true', 'recovery-point': prod.key, replaces: oid });
    const report = await readReport(reportPath);
    expect(report.steps.find((s) => s.name === 'download')?.detail).toContain('and those of its 2 data parts');
    expect(report.steps.find((s) => s.name === 'verify')?.status).toBe('passed');
    expect(await rowCounts(prod.url)).toEqual({
      'Billing Archive.Old "Invoices"': 3,
      'public.events_2026': 5000,
      'public.organizations': 50,
      'public.payments': 2000,
      'public.users': 300,
    });
    // The sequences came back with the data: the next user follows the last one backed up.
    expect(
      await sql(
        prod.url,
        "INSERT INTO users (org_id, email, created_at) VALUES (1, 'next@example.com', now()) RETURNING id",
      ),
    ).toBe('301');
    const keptAs = run.outputs['kept-as'] as string;
    expect(await databaseOid(keptAs)).toBe(oid);
    expect(await count(stackFromEnv().postgresUrl(keptAs), 'users')).toBe(300 + LOST_USERS);
  });

  test('a failing proof leaves production untouched and the restore in place; the re-run proves it again and cuts over', async () => {
    const prod = await production();
    const oid = await databaseOid(prod.name);
    const failing = join(dir, `failing-${prod.name}.sql`);
    await writeFile(failing, '-- name: every payment is there\nSELECT count(*) = 2001 FROM payments;\n');
    const first = await recover(prod, executeInputs(prod, { checks: failing, 'stop-command': 'true' }));
    expect(first.exitCode).toBe(1);
    expect(first.stdout).toContain("check 'every payment is there'");
    expect(await databaseOid(prod.name)).toBe(oid);
    expect(first.outputs.recovered).toBe('false');

    const passing = join(dir, `passing-${prod.name}.sql`);
    await writeFile(passing, '-- name: every payment is there\nSELECT count(*) = 2000 FROM payments;\n');
    const reportPath = reportFile();
    // The smoke command gets the variable smoke-env names, and no other of the step's.
    const smoke = {
      'smoke-command': `sh -c 'test "$APP_TOKEN" = token-for-smoke && test -z "$UNNAMED_SECRET"'`,
      'smoke-env': 'APP_TOKEN',
    };
    const second = await recover(prod, executeInputs(prod, { checks: passing, 'report-path': reportPath, ...smoke }), {
      APP_TOKEN: 'token-for-smoke',
      UNNAMED_SECRET: 'not for the smoke command',
    });
    expect(second.exitCode).toBe(0);
    const report = await readReport(reportPath);
    expect(report.steps.map((s) => s.name)).toEqual([
      'plan',
      'verify',
      'checks',
      'smoke',
      'stop-command',
      'sessions',
      'rename',
      'migrate-command',
      'start-command',
      'health',
    ]);
    expect(report.steps.find((s) => s.name === 'smoke')?.status).toBe('passed');
    expect(report.steps.find((s) => s.name === 'plan')?.detail).toContain(`into ${restoredOf(prod)} (restored)`);
    expect(await databaseOid(second.outputs['kept-as'] as string)).toBe(oid);
  });

  test('a re-run after the first rename (done by hand) renames the restored database only', async () => {
    const prod = await production();
    const oid = await databaseOid(prod.name);
    const stopped = await recover(prod, executeInputs(prod, { 'stop-command': 'false' }));
    expect(stopped.exitCode).toBe(1);
    expect(stopped.stdout).toContain('stop-command: false exited with code 1');
    const keptAs = stopped.outputs['kept-as'] as string;
    await sql(stackFromEnv().postgresUrl('postgres'), `ALTER DATABASE ${prod.name} RENAME TO ${keptAs}`);

    const reportPath = reportFile();
    const finished = await recover(prod, executeInputs(prod, { 'report-path': reportPath }));
    expect(finished.exitCode).toBe(0);
    const report = await readReport(reportPath);
    expect(report.steps.find((s) => s.name === 'rename')?.detail).toBe(
      `ALTER DATABASE "${restoredOf(prod)}" RENAME TO "${prod.name}"`,
    );
    expect(finished.outputs['kept-as']).toBe(keptAs);
    expect(await databaseOid(keptAs)).toBe(oid);
    expect(await count(prod.url, 'payments')).toBe(2000);
  });

  test('a failure after both renames says how to put the old database back; the re-run goes on without renaming again, and one more has nothing to do', async () => {
    const prod = await production();
    const oid = await databaseOid(prod.name);
    const failed = await recover(prod, executeInputs(prod, { 'migrate-command': 'false', 'health-url': health.url }));
    expect(failed.exitCode).toBe(1);
    expect(failed.outputs.recovered).toBe('true');
    const keptAs = failed.outputs['kept-as'] as string;
    expect(failed.summary).toContain(
      `is the restored backup ${prod.key} now, but the recovery stopped after the renames`,
    );
    expect(failed.summary).toContain(
      `ALTER DATABASE "${prod.name}" RENAME TO "${restoredOf(prod)}";\nALTER DATABASE "${keptAs}" RENAME TO "${prod.name}";`,
    );

    const reportPath = reportFile();
    const resumed = await recover(
      prod,
      executeInputs(prod, { 'migrate-command': 'true', 'health-url': health.url, 'report-path': reportPath }),
    );
    expect(resumed.exitCode).toBe(0);
    expect((await readReport(reportPath)).steps.map((s) => s.name)).toEqual([
      'plan',
      'migrate-command',
      'start-command',
      'health',
    ]);
    expect(resumed.outputs['kept-as']).toBe(keptAs);

    const again = await recover(prod, executeInputs(prod, { 'report-path': reportPath }));
    expect(again.exitCode).toBe(0);
    const last = await readReport(reportPath);
    expect(last.steps.map((s) => s.name)).toEqual(['plan']);
    expect(last.steps[0]?.detail).toContain('nothing to do');
    expect(again.outputs).toMatchObject({ recovered: 'true', 'kept-as': keptAs, 'recovery-seconds': '' });
    expect(await databaseOid(keptAs)).toBe(oid);
    expect(await count(prod.url, 'payments')).toBe(2000);
  });

  test('a second recovery of the same database while one runs is refused before any change, naming the session that holds it', async () => {
    const prod = await production();
    const before = await databasesOf(prod);
    const running = await claimTarget(parseDatabaseUrl(prod.url, 'database-url'), 'psql', () => 'held');
    try {
      const second = await recover(prod, executeInputs(prod));
      expect(second.exitCode).toBe(1);
      expect(second.stdout).toMatch(/another run is recovering .* \(server process \d+, connected since/);
    } finally {
      await running.release();
    }
    expect(await databasesOf(prod)).toEqual(before);
  });

  test('a restore an earlier run left unfinished is refused, naming it and the SQL that clears it', async () => {
    const prod = await production();
    const stopped = await recover(prod, executeInputs(prod, { 'stop-command': 'false' }));
    expect(stopped.exitCode).toBe(1);
    const restored = restoredOf(prod);
    const comment = await sql(
      stackFromEnv().postgresUrl('postgres'),
      `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '${restored}'`,
    );
    await sql(
      stackFromEnv().postgresUrl('postgres'),
      `COMMENT ON DATABASE ${restored} IS '${comment.replace('"proven"', '"restoring"')}'`,
    );
    const refused = await recover(prod, executeInputs(prod));
    expect(refused.exitCode).toBe(1);
    expect(refused.stdout).toContain(`an earlier run's restore into ${restored} did not finish`);
    expect(refused.stdout).toContain(`DROP DATABASE "${restored}";`);
    expect(refused.stdout).toContain(
      `DROP DATABASE "${restored}" WITH (FORCE); while a killed run's pg_restore is still connected to it`,
    );
  });
});
