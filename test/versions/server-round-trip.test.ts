import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import type { ClientBinary } from '../../src/postgres/binaries.js';
import type { RestoreVerifyReport } from '../../src/restore/restore-report.js';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { awsCli } from '../../harness/aws-cli.js';
import { autoCompressionFor, expectedClientFor, newestClientMajor } from '../helpers/clients.js';
import { sql } from '../helpers/postgres.js';
import { createBucket, listKeys } from '../helpers/s3.js';
import { loadSampleData, rowCounts } from '../helpers/sample-data.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { EMBEDDED_MAJORS, startEmbeddedPostgres, type EmbeddedMajor } from '../../harness/embedded-postgres.js';
import { stackFromEnv } from '../../harness/stack.js';
import type { PostgresServer } from '../../harness/postgres.js';

/**
 * The production case: the runner's client tools newer than (or as new as) the RDS server. Each
 * server major of the npm packages that this machine's clients can serve (13 and 14 under a 15
 * client; up to 18 on CI's matrix) is backed up and restore-tested by the bundled actions, and
 * the manifest's row counts, taken through that server's catalogs, must equal the data.
 */
const newestMajor = await newestClientMajor('pg_dump');
const servable = EMBEDDED_MAJORS.filter((major) => major <= newestMajor);

const ROWS = 2_000;

function serverSuite(major: EmbeddedMajor) {
  let server: PostgresServer;
  let bucket: string;
  let dir: string;
  let pgDump: ClientBinary;
  const source = `app_${major}`;

  beforeAll(async () => {
    [server, bucket, dir, pgDump] = await Promise.all([
      startEmbeddedPostgres(major),
      createBucket(`pg${major}`),
      mkdtemp(join(tmpdir(), 'dr-versions-')),
      expectedClientFor('pg_dump', major) as Promise<ClientBinary>,
    ]);
    await sql(server.url(), `CREATE DATABASE ${source}`);
    await loadSampleData(server.url(source), ROWS);
  });

  afterAll(async () => {
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const backup = () =>
    runBundledAction(
      'backup',
      { 'database-url': server.url(source), bucket, 'endpoint-url': stackFromEnv().awsEndpoint },
      { env: { GITHUB_REPOSITORY: 'acme/saas', GITHUB_RUN_ID: '9' } },
    );

  test('backup: the manifest names both versions, auto compression for this pg_dump, and exact row counts', async () => {
    const run = await backup();
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const manifest = JSON.parse(
      await awsCli(['s3', 'cp', `s3://${bucket}/${run.outputs['manifest-key']}`, '-']),
    ) as BackupManifest;
    const [serverMajor, serverMinor] = server.version.split('.').map(Number);
    expect(manifest).toMatchObject({
      database: source,
      server: { version: server.version, versionNum: (serverMajor as number) * 10_000 + (serverMinor as number) },
      pgDump: { version: pgDump.version },
      format: 'custom',
      compression: autoCompressionFor(pgDump.major),
      rowCounts: 'exact',
    });
    const counted = Object.fromEntries(manifest.tables.map((t) => [`${t.schema}.${t.name}`, t.rows]));
    expect(counted).toEqual(await rowCounts(server.url(source)));
    expect(counted['public.users']).toBe(ROWS);
  });

  test('restore-verify: the latest backup restores into a scratch database on the same server and matches its manifest', async () => {
    if ((await listKeys(bucket)).length === 0) expect((await backup()).exitCode).toBe(0);
    const reportPath = join(dir, 'report.json');
    const run = await runBundledAction('restore-verify', {
      bucket,
      'endpoint-url': stackFromEnv().awsEndpoint,
      'target-database-url': server.url(`scratch_${major}`),
      'report-path': reportPath,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as RestoreVerifyReport;
    expect(report.passed).toBe(true);
    expect(report.details.target).toMatchObject({ serverVersion: server.version, created: true, dropped: true });
    expect(report.details.restore).toMatchObject({
      tool: 'pg_restore',
      version: (await expectedClientFor('pg_restore', Math.max(major, pgDump.major)))?.version,
    });
    expect(report.details.tables.length).toBe(5);
    expect(report.details.tables.filter((t) => t.status !== 'equal')).toEqual([]);
    expect(await sql(server.url(), `SELECT count(*) FROM pg_database WHERE datname = 'scratch_${major}'`)).toBe('0');
  });
}

if (servable.length > 0) describe.each(servable)('a PostgreSQL %i server', serverSuite);
else
  test.skip(`no server of ${EMBEDDED_MAJORS.join(', ')} is old enough for the ${newestMajor} client`, () => undefined);
