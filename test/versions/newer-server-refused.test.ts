import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { newestClient, newestClientMajor } from '../helpers/clients.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys, openMultipartUploads } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { EMBEDDED_MAJORS, startEmbeddedPostgres, type EmbeddedMajor } from '../../harness/embedded-postgres.js';
import { stackFromEnv } from '../../harness/stack.js';
import type { PostgresServer } from '../../harness/postgres.js';

/**
 * A server newer than every client on the runner (an RDS upgrade ahead of the workflow's
 * postgresql-client): pg_dump and pg_restore cannot work with it, so both actions refuse with the
 * versions and the fix before any upload or database creation. Runs for each npm-packaged major
 * above this machine's newest client (17 and 18 under a 15 client; none on CI's 18).
 */
const newestMajor = await newestClientMajor('pg_dump');
const tooNew = EMBEDDED_MAJORS.filter((major) => major > newestMajor);

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function serverSuite(major: EmbeddedMajor) {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startEmbeddedPostgres(major);
    await sql(server.url(), 'CREATE DATABASE app');
    await sql(server.url('app'), 'CREATE TABLE t (id int); INSERT INTO t SELECT generate_series(1, 10)');
  });

  afterAll(async () => {
    await server?.stop();
  });

  const databases = () => sql(server.url(), "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database");

  test('backup refuses, naming both versions and the fix, and leaves the bucket empty', async () => {
    const bucket = await createBucket(`pg${major}`);
    const pgDump = await newestClient('pg_dump');
    const run = await runBundledAction('backup', {
      'database-url': server.url('app'),
      bucket,
      'endpoint-url': stackFromEnv().awsEndpoint,
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `::error::pg_dump ${escape(pgDump.version)} \\(.*\\) cannot work with the PostgreSQL ${escape(server.version)} server: pg_dump's major version must be at least the server's \\(${major}\\)\\. ` +
          `Install the PostgreSQL ${major} client`,
      ),
    );
    expect(run.outputs).toEqual({});
    expect(await listKeys(bucket)).toEqual([]);
    expect(await openMultipartUploads(bucket)).toEqual([]);
  });

  test('restore-verify refuses before creating the scratch database', async () => {
    // A good backup from the stack's own server, as a workflow would find in the bucket.
    const bucket = await createBucket(`pg${major}`);
    const source = await createDatabase('older');
    try {
      await loadSampleData(source.url, 100);
      const backup = await runBundledAction('backup', {
        'database-url': source.url,
        bucket,
        'endpoint-url': stackFromEnv().awsEndpoint,
      });
      expect(backup.exitCode).toBe(0);
    } finally {
      await dropDatabase(source.name);
    }
    const before = await databases();
    const pgRestore = await newestClient('pg_restore');
    const run = await runBundledAction('restore-verify', {
      bucket,
      'endpoint-url': stackFromEnv().awsEndpoint,
      'target-database-url': server.url(`scratch_${major}`),
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(
        `::error::.*pg_restore ${escape(pgRestore.version)} \\(.*\\) cannot work with the PostgreSQL ${escape(server.version)} server`,
      ),
    );
    expect(run.outputs.passed).toBe('false');
    expect(await databases()).toBe(before);
    expect(before).not.toContain(`scratch_${major}`);
  });
}

if (tooNew.length > 0) describe.each(tooNew)('a PostgreSQL %i server, newer than every client here', serverSuite);
else test.skip(`no server of ${EMBEDDED_MAJORS.join(', ')} is newer than the ${newestMajor} client`, () => undefined);
