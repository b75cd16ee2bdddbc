import { appendFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { freePort } from './free-port.js';
import { ownByServerUser, postgresUrl, runAsServerOwner, stopPostgres, type PostgresInfo } from './postgres.js';
import { waitUntil } from './wait.js';

/** A hot standby streaming from a stack cluster: a real replica with a real lag and a real promotion. */
export interface StreamingReplica extends PostgresInfo {
  url(database?: string): string;
  /** What RDS does to the database when it promotes a replica: leave recovery and take writes. */
  promote(): Promise<void>;
  stop(): Promise<void>;
}

async function psqlValue(info: PostgresInfo, text: string): Promise<string> {
  const { stdout } = await execa('psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', postgresUrl(info)], {
    input: text,
  });
  return stdout.trim().split('\n').at(-1) ?? '';
}

/**
 * Waits until the standby has replayed a transaction the primary committed after it started: a
 * replica in service, as an RDS replica is. One just started may have received WAL it has not yet
 * replayed and no replayed transaction to date its lag by, so its lag cannot be measured yet.
 */
async function untilInService(primary: PostgresInfo, standby: PostgresInfo, timeoutMs = 60_000): Promise<void> {
  const lsn = await psqlValue(primary, 'BEGIN; SELECT txid_current(); COMMIT; SELECT pg_current_wal_lsn();');
  const check = `SELECT pg_last_wal_replay_lsn() >= '${lsn}'::pg_lsn AND pg_last_xact_replay_timestamp() IS NOT NULL`;
  await waitUntil(
    `the standby replayed the primary's WAL up to ${lsn}`,
    async () => (await psqlValue(standby, check).catch(() => 'f')) === 't',
    { timeoutMs },
  );
}

/**
 * Copies the primary with `pg_basebackup -R` (which writes standby.signal and primary_conninfo)
 * into a new temp directory, as the postgres user, starts it on a free loopback port, and returns
 * once it is in service (untilInService).
 */
export async function startStreamingReplica(primary: PostgresInfo): Promise<StreamingReplica> {
  const baseDir = await mkdtemp(join(tmpdir(), 'dr-actions-replica-'));
  await ownByServerUser(baseDir);
  const dataDir = join(baseDir, 'data');
  const bin = (tool: string) => join(primary.binDir, tool);
  await runAsServerOwner(
    bin('pg_basebackup'),
    [
      '--pgdata',
      dataDir,
      '--host',
      primary.host,
      '--port',
      String(primary.port),
      '--username',
      primary.user,
      '--write-recovery-conf',
      '--wal-method',
      'stream',
      '--checkpoint',
      'fast',
      '--no-sync',
    ],
    { env: { PGPASSWORD: primary.password } },
  );
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    // The copy carries the primary's port, socket directory and archiving; later lines win. Promoted,
    // the standby must not write its new timeline into an archive its primary's restores replay.
    await appendFile(
      join(dataDir, 'postgresql.auto.conf'),
      `\nport = ${port}\nunix_socket_directories = '${baseDir}'\nhot_standby = on\narchive_mode = off\n`,
    );
    try {
      await runAsServerOwner(bin('pg_ctl'), [
        '--pgdata',
        dataDir,
        '--log',
        join(baseDir, 'server.log'),
        '--wait',
        '--timeout',
        '60',
        'start',
      ]);
      const info: PostgresInfo = { ...primary, port, baseDir };
      await untilInService(primary, info).catch(async (error: unknown) => {
        await stopPostgres(info);
        throw error;
      });
      return {
        ...info,
        url: (database?: string) => postgresUrl(info, database),
        promote: async () => {
          await runAsServerOwner(bin('pg_ctl'), ['--pgdata', dataDir, '--wait', '--timeout', '60', 'promote']);
        },
        stop: () => stopPostgres(info),
      };
    } catch (error) {
      lastError = error;
      const log = await readFile(join(baseDir, 'server.log'), 'utf8').catch(() => '');
      if (!/could not bind|Address already in use/i.test(log)) break;
    }
  }
  await rm(baseDir, { recursive: true, force: true });
  throw new Error(`the streaming replica did not start: ${String(lastError)}`);
}
