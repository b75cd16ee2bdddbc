import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { claimTarget } from '../../src/postgres/target-claim.js';
import { stackFromEnv } from '../../harness/stack.js';
import { makeBackup, restoreVerify, scratchName, stepOf } from './fixtures.js';

describe('restore-verify guards', () => {
  let source: { name: string; url: string };
  let bucket: string;

  beforeAll(async () => {
    source = await createDatabase('rv_guard');
    await loadSampleData(source.url, 500);
    bucket = await createBucket('guard');
    await makeBackup(source.url, bucket);
  });

  afterAll(() => dropDatabase(source.name));

  test('a target that resolves to the source is refused before anything happens', async () => {
    // The same server by two spellings no text comparison can match: this machine's name and its address.
    const stack = stackFromEnv();
    const { address, family } = await lookup(hostname());
    const sourceByAddress = new URL(source.url);
    sourceByAddress.hostname = family === 6 ? `[${address}]` : address;
    const targetByName = new URL(source.url);
    targetByName.hostname = hostname();
    const result = await restoreVerify({
      bucket,
      'target-database-url': targetByName.toString(),
      'source-database-url': sourceByAddress.toString(),
    });
    expect(result.passed).toBe(false);
    expect(result.report.reasons).toEqual([
      `preflight: target-database-url resolves to the same database as source-database-url (${stack.postgres.user}@${targetByName.hostname}:${stack.postgres.port}/${source.name}); name a scratch database`,
    ]);
    expect(stepOf(result, 'download').status).toBe('skipped');
    expect(stepOf(result, 'drop').detail).toBe('nothing to drop: no database was created');
    expect(await sql(source.url, 'SELECT count(*) FROM users')).toBe('500');
  });

  test('a target another run holds is refused before anything touches it, even with allow-overwrite; once released, a run goes ahead and releases it in turn', async () => {
    const existing = await createDatabase('rv_held');
    const target = parseDatabaseUrl(existing.url, 'target-database-url');
    const otherRun = await claimTarget(target, 'psql');
    try {
      await sql(existing.url, "CREATE TABLE in_flight (note text); INSERT INTO in_flight VALUES ('the other run');");
      const refused = await restoreVerify({ bucket, 'target-database-url': existing.url, 'allow-overwrite': 'true' });
      expect(refused.passed).toBe(false);
      expect(refused.report.reasons).toEqual([
        expect.stringMatching(
          new RegExp(
            `^preflight: another restore-verify run is using the target database ${refused.report.details.target.database.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(server process \\d+, connected since \\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\); ` +
              'runs that name one database on one server must not overlap: give each its own target database, or put them in one concurrency group$',
          ),
        ),
      ]);
      expect(stepOf(refused, 'download').status).toBe('skipped');
      expect(stepOf(refused, 'drop').detail).toBe('nothing to drop: no database was created');
      expect(await sql(existing.url, 'SELECT note FROM in_flight')).toBe('the other run');
    } finally {
      await otherRun.release();
    }
    const after = await restoreVerify({ bucket, 'target-database-url': existing.url, 'allow-overwrite': 'true' });
    expect(after.report.reasons).toEqual([]);
    expect(await databaseExists(existing.name)).toBe(false);
    const next = await claimTarget(target, 'psql');
    await next.release();
  });

  test('a database that holds tables is refused without allow-overwrite, and left as it was', async () => {
    const existing = await createDatabase('rv_full');
    try {
      await sql(existing.url, "CREATE TABLE precious (note text); INSERT INTO precious VALUES ('keep me');");
      const result = await restoreVerify({ bucket, 'target-database-url': existing.url });
      expect(result.passed).toBe(false);
      expect(result.report.reasons).toEqual([
        `preflight: the target database ${result.report.details.target.database} already exists and holds 1 table or other relation (e.g. public.precious); ` +
          'name a database that does not exist yet, or set allow-overwrite: true to drop and recreate it',
      ]);
      expect(stepOf(result, 'download').status).toBe('skipped');
      expect(stepOf(result, 'drop').detail).toBe('not created by this run: left in place');
      expect(await sql(existing.url, 'SELECT note FROM precious')).toBe('keep me');
    } finally {
      await dropDatabase(existing.name);
    }
  });

  test('allow-overwrite drops and recreates the named database, and drops it at the end', async () => {
    const existing = await createDatabase('rv_over');
    await sql(existing.url, 'CREATE TABLE leftover (id int); INSERT INTO leftover VALUES (1);');
    const result = await restoreVerify({ bucket, 'target-database-url': existing.url, 'allow-overwrite': 'true' });
    expect(result.report.reasons).toEqual([]);
    expect(result.passed).toBe(true);
    expect(stepOf(result, 'create database').detail).toBe(
      `dropped and recreated ${result.report.details.target.database} (allow-overwrite)`,
    );
    expect(result.report.details.tables.some((t) => t.name === 'leftover')).toBe(false);
    expect(await databaseExists(existing.name)).toBe(false);
  });

  test('an existing empty database is restored into and, not being ours, kept', async () => {
    const existing = await createDatabase('rv_empty');
    try {
      const result = await restoreVerify({ bucket, 'target-database-url': existing.url });
      expect(result.passed).toBe(true);
      expect(result.report.details.target).toMatchObject({ existed: true, created: false, dropped: false });
      expect(stepOf(result, 'create database').detail).toBe(
        `${result.report.details.target.database} exists and is empty: restoring into it; it is kept afterwards, as this run did not create it`,
      );
      expect(stepOf(result, 'drop')).toMatchObject({
        status: 'skipped',
        detail: 'not created by this run: left in place',
      });
      expect(await sql(existing.url, 'SELECT count(*) FROM users')).toBe('500');
    } finally {
      await dropDatabase(existing.name);
    }
  });

  test('a user that may not create databases is told so before the download', async () => {
    const stack = stackFromEnv();
    const role = `rv_nocreate_${randomBytes(4).toString('hex')}`;
    const password = randomBytes(9).toString('hex');
    await sql(stack.postgresUrl(), `CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    try {
      const url = `postgres://${role}:${password}@${stack.postgres.host}:${stack.postgres.port}/${scratchName()}`;
      const result = await restoreVerify({ bucket, 'target-database-url': url });
      expect(result.passed).toBe(false);
      expect(result.report.reasons).toEqual([
        `preflight: the user of target-database-url may not create databases on ${role}@${stack.postgres.host}:${stack.postgres.port}; grant it CREATEDB (ALTER ROLE ... CREATEDB) or use a scratch server where it may`,
      ]);
      expect(stepOf(result, 'download').status).toBe('skipped');
      expect(JSON.stringify(result.report)).not.toContain(password);
    } finally {
      await sql(stack.postgresUrl(), `DROP ROLE ${role}`);
    }
  });

  test('a wrong password fails the preflight without printing it', async () => {
    const stack = stackFromEnv();
    const url = `postgres://${stack.postgres.user}:not-the-password-123@${stack.postgres.host}:${stack.postgres.port}/${scratchName()}`;
    const result = await restoreVerify({ bucket, 'target-database-url': url });
    expect(result.passed).toBe(false);
    expect(result.report.reasons[0]).toMatch(
      /^preflight: could not connect to the target server as postgres@127\.0\.0\.1:\d+: .*password authentication failed for user "postgres"/,
    );
    expect(JSON.stringify(result.report)).not.toContain('not-the-password-123');
  });

  test('any database name is quoted: spaces, quotes, semicolons and non-ASCII letters', async () => {
    const stack = stackFromEnv();
    const name = `rv "odd"; name ü ${randomBytes(3).toString('hex')}`;
    const url = `postgres://${stack.postgres.user}:${encodeURIComponent(stack.postgres.password)}@${stack.postgres.host}:${stack.postgres.port}/${encodeURIComponent(name)}`;
    const result = await restoreVerify({ bucket, 'target-database-url': url });
    expect(result.report.reasons).toEqual([]);
    expect(result.report.details.target).toMatchObject({
      database: `${stack.postgres.user}@${stack.postgres.host}:${stack.postgres.port}/${name}`,
      created: true,
      dropped: true,
    });
    expect(await databaseExists(name)).toBe(false);
  });
});
