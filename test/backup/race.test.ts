import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { PsqlSession } from '../../src/postgres/psql-session.js';
import { backupKey } from '../../src/storage/keys.js';
import { MIN_PART_SIZE } from '../../src/storage/streaming-upload.js';
import { runBundledAction, type BundledActionRun } from '../../harness/bundled-action.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys, openMultipartUploads } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { getObject, scratchName } from '../restore-verify/fixtures.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';

/**
 * Two backups under one prefix that start in the same second share a key. Both runs are given the
 * same clock second, and both are held before their dumps (by a lock on one table) until both have
 * passed the check that the key is free: the race is then decided by S3's conditional writes every
 * time, not by luck.
 */

const ROUNDS = 6;
let source: { name: string; url: string };

beforeAll(async () => {
  source = await createDatabase('race');
  await loadSampleData(source.url, 500);
  // About 20 MiB of random bytes: a dump of it is a multipart upload; without it, a single PUT.
  await sql(
    source.url,
    `CREATE TABLE blobs (id int PRIMARY KEY, body bytea);
     INSERT INTO blobs SELECT g, (SELECT decode(string_agg(md5(random()::text || g || i), ''), 'hex') FROM generate_series(1, 1024) i) FROM generate_series(1, 1300) g;
     CREATE TABLE writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp());`,
  );
}, 120_000);

afterAll(() => dropDatabase(source.name));

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Resolves once `count` backups' pg_dump processes wait for a lock, before they wrote a byte. */
async function untilDumpsWait(count: number): Promise<void> {
  const query = `SELECT count(*) FROM pg_stat_activity WHERE datname = '${source.name}' AND application_name = 'dr-actions backup' AND wait_event_type = 'Lock'`;
  await waitUntil(
    `${count} dumps wait for a lock`,
    async () => Number(await sql(stackFromEnv().postgresUrl('postgres'), query)) >= count,
  );
}

test('two backups in the same second: one wins, the other fails naming it, and every output names a backup that exists and matches', async () => {
  const bucket = await createBucket('race');
  const endpoint = stackFromEnv().awsEndpoint;
  let writing = true;
  const writer = (async () => {
    while (writing) await sql(source.url, 'INSERT INTO writes DEFAULT VALUES');
  })();
  const lockHolder = await PsqlSession.open(parseDatabaseUrl(source.url, 'database-url'));
  const multipartRounds: boolean[] = [];
  const winners: string[] = [];
  // Whole seconds some minutes ago, one per round: each round's two runs share one.
  const base = Math.floor(Date.now() / 1000) * 1000 - 600_000;

  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      const startedAt = new Date(base + round * 1000);
      const key = backupKey('database/', startedAt, 'custom');
      const smallDump = round % 2 === 1;
      await lockHolder.query('BEGIN');
      await lockHolder.query('LOCK TABLE organizations IN ACCESS EXCLUSIVE MODE');
      const start = (runId: string) =>
        runBundledAction(
          'backup',
          {
            'database-url': source.url,
            bucket,
            'endpoint-url': endpoint,
            region: 'us-east-1',
            retention: 'off',
            'pg-dump-args': smallDump ? '--exclude-table-data=blobs' : '',
          },
          {
            env: {
              DR_ACTIONS_CLOCK_START: startedAt.toISOString(),
              GITHUB_REPOSITORY: 'acme/saas',
              GITHUB_RUN_ID: runId,
            },
          },
        );
      const runs = [start(`${round}01`), start(`${round}02`)];
      await untilDumpsWait(2);
      await lockHolder.query('COMMIT');
      const [first, second] = (await Promise.all(runs)) as [BundledActionRun, BundledActionRun];

      expect([first.exitCode, second.exitCode].sort()).toEqual([0, 1]);
      const [winner, loser, winnerRunId] =
        first.exitCode === 0 ? [first, second, `${round}01`] : [second, first, `${round}02`];
      expect(winner.outputs.key).toBe(key);
      expect(loser.outputs.key).toBeUndefined();
      expect(loser.stdout).toContain(
        `::error::s3://${bucket}/${key} was written by another backup (run https://github.com/acme/saas/actions/runs/${winnerRunId}, started ${startedAt.toISOString()}) that started in the same second under this prefix; this run stored nothing and deleted nothing.`,
      );

      const manifest = JSON.parse((await getObject(bucket, winner.outputs['manifest-key'] as string)).toString('utf8'));
      const object = await getObject(bucket, key);
      expect(manifest).toMatchObject({
        key,
        sha256: winner.outputs.sha256,
        sizeBytes: object.length,
        run: { runId: winnerRunId },
      });
      expect(sha256(object)).toBe(winner.outputs.sha256);
      expect(await openMultipartUploads(bucket)).toEqual([]);
      winners.push(key);
      multipartRounds.push(object.length > MIN_PART_SIZE);
    }
  } finally {
    writing = false;
    await writer;
    await lockHolder.close();
  }
  // Both ways an object is created were raced: the multipart completion and the single PUT.
  expect(multipartRounds).toEqual(Array.from({ length: ROUNDS }, (_, round) => round % 2 === 0));
  expect((await listKeys(bucket)).length).toBe(3 * ROUNDS);

  const stack = stackFromEnv();
  const verify = await runBundledAction('restore-verify', {
    bucket,
    'endpoint-url': endpoint,
    'target-database-url': stack.postgresUrl(scratchName()),
    backup: 'latest',
    jobs: '2',
  });
  expect({ exitCode: verify.exitCode, stderr: verify.stderr }).toEqual({ exitCode: 0, stderr: '' });
  expect(verify.outputs.passed).toBe('true');
  expect(winners).toContain(verify.outputs['backup-key']);
}, 600_000);
