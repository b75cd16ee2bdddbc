import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort } from './free-port.js';
import {
  ownByServerUser,
  postgresUrl,
  runAsServerOwner,
  startPostgres,
  stopPostgres,
  type PostgresInfo,
  type PostgresServer,
} from './postgres.js';
import { waitUntil } from './wait.js';

/**
 * What RDS keeps to restore an instance to any second of its retention window: a base backup and
 * every WAL segment since (archive_command). A restore copies the base backup and replays the
 * archive up to `recovery_target_time`, then promotes: the same point-in-time recovery RDS runs,
 * so the restored server holds exactly the commits made up to the recovery point.
 */
export interface ArchivingPrimary extends PostgresServer {
  /** When the base backup finished: restores to earlier times cannot be served. */
  baseBackupAt: Date;
  /** A new server holding the data as of `time` (ISO, to the microsecond); stopped by stop() of the primary or its own. */
  restoreTo(time: string): Promise<RestoredServer>;
}

export interface RestoredServer extends PostgresInfo {
  url(database?: string): string;
  stop(): Promise<void>;
}

async function psql(url: string, text: string): Promise<string> {
  const { stdout } = await execa('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', url], { input: text });
  return stdout.trim();
}

/**
 * Makes sure the archive holds a commit stamped after `time`: recovery to a time past the last
 * archived commit ends with "recovery ended before configured recovery target was reached",
 * whereas RDS always has the log after its LatestRestorableTime.
 */
async function archivePast(server: PostgresServer, time: Date): Promise<void> {
  const url = server.url();
  const serverTime = async () =>
    Date.parse(await psql(url, 'SELECT to_char(now() AT TIME ZONE \'UTC\', \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')'));
  await waitUntil(
    `the server's clock is past ${time.toISOString()}`,
    async () => (await serverTime()) > time.getTime(),
    { intervalMs: 20 },
  );
  const segment = await psql(
    url,
    'CREATE TABLE IF NOT EXISTS dr_stack_heartbeat (at timestamptz); INSERT INTO dr_stack_heartbeat VALUES (now()); SELECT pg_walfile_name(pg_switch_wal());',
  );
  await waitUntil(
    `WAL segment ${segment} is archived`,
    async () => (await psql(url, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")) >= segment,
  );
}

async function startRestored(
  primary: PostgresServer,
  base: string,
  archive: string,
  time: string,
): Promise<RestoredServer> {
  const baseDir = await mkdtemp(join(tmpdir(), 'dr-actions-pitr-'));
  await ownByServerUser(baseDir);
  const dataDir = join(baseDir, 'data');
  await runAsServerOwner('cp', ['-a', base, dataDir]);
  await runAsServerOwner('touch', [join(dataDir, 'recovery.signal')]);
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    // hot_standby off: the server takes connections only once recovery reached the target and promoted.
    await appendFile(
      join(dataDir, 'postgresql.auto.conf'),
      [
        '',
        `port = ${port}`,
        `unix_socket_directories = '${baseDir}'`,
        'archive_mode = off',
        'hot_standby = off',
        `restore_command = 'cp ${archive}/%f %p'`,
        // PostgreSQL's form: the GUC refuses ISO 8601's 'T' and 'Z'.
        `recovery_target_time = '${time.replace('T', ' ').replace(/Z$/, '+00')}'`,
        'recovery_target_action = promote',
        '',
      ].join('\n'),
    );
    try {
      await runAsServerOwner(join(primary.binDir, 'pg_ctl'), [
        '--pgdata',
        dataDir,
        '--log',
        join(baseDir, 'server.log'),
        '--wait',
        '--timeout',
        '120',
        'start',
      ]);
      const info: PostgresInfo = { ...primary, port, baseDir };
      return { ...info, url: (database?: string) => postgresUrl(info, database), stop: () => stopPostgres(info) };
    } catch (error) {
      lastError = error;
      const log = await readFile(join(baseDir, 'server.log'), 'utf8').catch(() => '');
      if (!/could not bind|Address already in use/i.test(log)) {
        lastError = new Error(`${String(error)}\n${log.slice(-2_000)}`);
        break;
      }
    }
  }
  await rm(baseDir, { recursive: true, force: true });
  throw new Error(`the point-in-time restore did not start: ${String(lastError)}`);
}

/** A primary of its own (the stack's does not archive WAL), with its base backup taken. */
export async function startArchivingPrimary(): Promise<ArchivingPrimary> {
  const dir = await mkdtemp(join(tmpdir(), 'dr-actions-archive-'));
  await ownByServerUser(dir);
  const archive = join(dir, 'wal');
  const base = join(dir, 'base');
  await mkdir(archive);
  await ownByServerUser(archive);
  const server = await startPostgres({
    settings: {
      archive_mode: 'on',
      archive_command: `'test ! -f ${archive}/%f && cp %p ${archive}/%f'`,
      wal_level: 'replica',
    },
  });
  await runAsServerOwner(
    join(server.binDir, 'pg_basebackup'),
    [
      '--pgdata',
      base,
      '--host',
      server.host,
      '--port',
      String(server.port),
      '--username',
      server.user,
      '--wal-method',
      'stream',
      '--checkpoint',
      'fast',
      '--no-sync',
    ],
    { env: { PGPASSWORD: server.password } },
  );
  // The base backup must not bring the primary's standby settings; the restore writes its own.
  await writeFile(
    join(base, 'postgresql.auto.conf'),
    (await readFile(join(base, 'postgresql.auto.conf'), 'utf8')).replace(/^(archive_command|archive_mode) =.*$/gm, ''),
  );
  const baseBackupAt = new Date();
  const restored: RestoredServer[] = [];
  return {
    ...server,
    baseBackupAt,
    restoreTo: async (time) => {
      await archivePast(server, new Date(Date.parse(time) + 1));
      const started = await startRestored(server, base, archive, time);
      restored.push(started);
      return started;
    },
    stop: async () => {
      await Promise.allSettled(restored.map((r) => r.stop()));
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
