import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup } from '../../src/backup/run-backup.js';
import { findClient } from '../../src/postgres/binaries.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { startPgDump } from '../../src/postgres/pg-dump.js';
import { PsqlSession } from '../../src/postgres/psql-session.js';
import { silentLogger } from '../../src/util/logger.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { createBucket, listKeys, openMultipartUploads } from '../helpers/s3.js';
import { s3AnsweringLate, s3Holding } from '../helpers/unresponsive-s3.js';
import { stackFromEnv } from '../../harness/stack.js';
import { waitUntil } from '../../harness/wait.js';

/** About 50 MB with compression none: more than the parts in flight and the pipe hold, so pg_dump is still writing when the parts are held. */
let big: { name: string; url: string };
/** A few hundred KiB: its object is stored by one PUT. */
let small: { name: string; url: string };

beforeAll(async () => {
  small = await createDatabase('cancel_small');
  await loadSampleData(small.url, 300);
  big = await createDatabase('cancel');
  await sql(
    big.url,
    'CREATE TABLE blobs (id int PRIMARY KEY, body text); INSERT INTO blobs SELECT g, md5(g::text) || md5((g * 7)::text) FROM generate_series(1, 700000) g;',
  );
}, 120_000);

afterAll(async () => {
  await dropDatabase(big.name);
  await dropDatabase(small.name);
});

async function dumpsRunning(database: string, waitingOn = ''): Promise<number> {
  const waiting = waitingOn ? ` AND wait_event_type = '${waitingOn}'` : '';
  return Number(
    await sql(
      stackFromEnv().postgresUrl('postgres'),
      `SELECT count(*) FROM pg_stat_activity WHERE datname = '${database}' AND application_name = 'dr-actions backup'${waiting}`,
    ),
  );
}

/** Resolves once the server has no session of pg_dump's left: a killed client's session ends when its server process notices. */
function untilNoDumps(database: string): Promise<void> {
  return waitUntil(`no pg_dump session is left on ${database}`, async () => (await dumpsRunning(database)) === 0);
}

const HELD: [string, (method: string, path: string) => boolean, number][] = [
  // Two parts in flight: the upload waits for room, pg_dump for the reader.
  ['the parts on their way', (method, path) => method === 'PUT' && /[?&]partNumber=/.test(path), 2],
  // The upload never starts: the first part waits for it, then pg_dump for the reader.
  ['the start of the upload', (method, path) => method === 'POST' && /[?&]uploads\b/.test(path), 1],
];

test.each(HELD)(
  'a cancelled backup stops pg_dump and %s, aborts the upload and stores nothing',
  async (_what, hold, held) => {
    const bucket = await createBucket('cancel');
    // S3 that takes these requests and never answers them: the backup is mid-dump.
    const s3 = await s3Holding(stackFromEnv().awsEndpoint, hold);
    const cancel = new AbortController();
    try {
      const inputs: Record<string, string> = {
        'database-url': big.url,
        bucket,
        'endpoint-url': s3.url,
        region: 'us-east-1',
        compression: 'none',
        retention: 'off',
      };
      const settings = parseBackupInputs((name) => inputs[name] ?? '', {});
      const running = runBackup({
        ...settings,
        run: { repository: 'acme/saas', runId: '42' },
        log: silentLogger,
        signal: cancel.signal,
      });
      running.catch(() => undefined);
      await s3.untilHeld(held);
      expect(await dumpsRunning(big.name)).toBe(1);

      cancel.abort();
      await expect(running).rejects.toThrow(
        'the job was cancelled: pg_dump was stopped and the upload aborted, nothing was stored',
      );
      await untilNoDumps(big.name);
      expect(await openMultipartUploads(bucket)).toEqual([]);
      expect(await listKeys(bucket)).toEqual([]);
    } finally {
      await s3.close();
    }
  },
);

test('a cancelled pg_dump is stopped even while it writes nothing (waiting on a lock), and its output ends', async () => {
  const target = parseDatabaseUrl(big.url, 'database-url');
  const holder = await PsqlSession.open(target);
  await holder.query('BEGIN');
  await holder.query('LOCK TABLE blobs IN ACCESS EXCLUSIVE MODE');
  const cancel = new AbortController();
  const dump = await startPgDump(await findClient('pg_dump'), target, ['--format=custom'], cancel.signal);
  try {
    await waitUntil('pg_dump waits on the lock', async () => (await dumpsRunning(big.name, 'Lock')) > 0);
    const into = Buffer.alloc(64 * 1024);
    const draining = (async () => {
      while ((await dump.output.read(into)) > 0);
    })();

    cancel.abort();
    await expect(dump.exit).rejects.toThrow('pg_dump was stopped: the job was cancelled');
    await draining;
    await untilNoDumps(big.name);
  } finally {
    await holder.query('ROLLBACK');
    await holder.close();
    await dump.close();
  }
});

test.each(['1', '2'])(
  'jobs %s: a job cancelled after S3 stored the backup object but before its answer came back stores nothing: the write is let finish, and its object removed',
  async (jobs) => {
    const bucket = await createBucket('cancel-late');
    const cancel = new AbortController();
    const answered: number[] = [];
    // The PUT that creates the object at the backup's key (not a part's, not its tags).
    const objectPut = new RegExp(`^/${bucket}/.*backup_\\d{8}_\\d{6}\\.dump(\\?x-id=PutObject)?$`);
    const s3 = await s3AnsweringLate(
      stackFromEnv().awsEndpoint,
      (method, path) => method === 'PUT' && objectPut.test(path),
      (status) => {
        answered.push(status);
        cancel.abort();
      },
    );
    try {
      const inputs: Record<string, string> = {
        'database-url': small.url,
        bucket,
        'endpoint-url': s3.url,
        region: 'us-east-1',
        retention: 'off',
        jobs,
      };
      const settings = parseBackupInputs((name) => inputs[name] ?? '', {});
      const running = runBackup({
        ...settings,
        run: { repository: 'acme/saas', runId: '42' },
        log: silentLogger,
        signal: cancel.signal,
      });
      await expect(running).rejects.toThrow(/^the job was cancelled: .*nothing was stored$/);
      expect(answered).toEqual([200]);
      expect(await openMultipartUploads(bucket)).toEqual([]);
      expect(await listKeys(bucket)).toEqual([]);
    } finally {
      await s3.close();
    }
  },
);
