import { randomBytes } from 'node:crypto';
import { chown, mkdtemp, appendFile, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { freePort } from './free-port.js';

/** Where a throw-away PostgreSQL cluster listens, and the superuser that owns it. */
export interface PostgresInfo {
  host: string;
  port: number;
  user: string;
  password: string;
  binDir: string;
  baseDir: string;
  version: string;
}

export interface PostgresServer extends PostgresInfo {
  url(database?: string): string;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';

/** Settings for a cluster whose data may be lost: speed over durability, plus streaming replication. */
const SCRATCH_SETTINGS: Record<string, string> = {
  listen_addresses: "'127.0.0.1'",
  fsync: 'off',
  synchronous_commit: 'off',
  full_page_writes: 'off',
  shared_buffers: "'256MB'",
  maintenance_work_mem: "'256MB'",
  max_connections: '200',
  wal_level: 'replica',
  max_wal_senders: '10',
  hot_standby: 'on',
  log_min_messages: 'warning',
};

export function postgresUrl(info: PostgresInfo, database = 'postgres'): string {
  const password = encodeURIComponent(info.password);
  return `postgres://${info.user}:${password}@${info.host}:${info.port}/${encodeURIComponent(database)}`;
}

export async function pgBinDir(): Promise<string> {
  const { stdout } = await execa('pg_config', ['--bindir']);
  return stdout.trim();
}

/** initdb refuses root, so as root every server command runs as the `postgres` user. */
export function runAsServerOwner(file: string, args: string[], options: Options = {}) {
  if (process.getuid?.() === 0) {
    return execa('runuser', ['-u', SUPERUSER, '--', file, ...args], options);
  }
  return execa(file, args, options);
}

export async function ownByServerUser(path: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { stdout: uid } = await execa('id', ['-u', SUPERUSER]);
  const { stdout: gid } = await execa('id', ['-g', SUPERUSER]);
  await chown(path, Number(uid), Number(gid));
}

/**
 * Creates a cluster with initdb in a new temp directory and starts it on a free loopback port.
 * Host connections need the superuser's password (scram-sha-256), so wrong-password paths are real.
 */
export async function startPostgres(extraSettings: Record<string, string> = {}): Promise<PostgresServer> {
  const binDir = await pgBinDir();
  const baseDir = await mkdtemp(join(tmpdir(), 'dr-actions-pg-'));
  await ownByServerUser(baseDir);
  const dataDir = join(baseDir, 'data');
  const password = randomBytes(12).toString('base64url');
  const passwordFile = join(baseDir, 'superuser-password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await ownByServerUser(passwordFile);

  await runAsServerOwner(join(binDir, 'initdb'), [
    '--pgdata', dataDir, '--username', SUPERUSER, '--pwfile', passwordFile,
    '--auth-local', 'trust', '--auth-host', 'scram-sha-256',
    '--encoding', 'UTF8', '--locale', 'C', '--no-sync',
  ]);
  await rm(passwordFile);

  const { stdout: versionLine } = await execa(join(binDir, 'postgres'), ['--version']);
  const version = /\(PostgreSQL\)\s+(\S+)/.exec(versionLine)?.[1] ?? versionLine;

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    const settings = { ...SCRATCH_SETTINGS, port: String(port), unix_socket_directories: `'${baseDir}'`, ...extraSettings };
    const conf = Object.entries(settings).map(([name, value]) => `${name} = ${value}`).join('\n');
    await appendFile(join(dataDir, 'postgresql.auto.conf'), `\n${conf}\n`);
    try {
      await runAsServerOwner(join(binDir, 'pg_ctl'), ['--pgdata', dataDir, '--log', join(baseDir, 'server.log'), '--wait', '--timeout', '60', 'start']);
      const info: PostgresInfo = { host: '127.0.0.1', port, user: SUPERUSER, password, binDir, baseDir, version };
      return {
        ...info,
        url: (database?: string) => postgresUrl(info, database),
        stop: () => stopPostgres(info),
      };
    } catch (error) {
      lastError = error;
      const log = await readFile(join(baseDir, 'server.log'), 'utf8').catch(() => '');
      if (!/could not bind|Address already in use/i.test(log)) break;
    }
  }
  await rm(baseDir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start: ${String(lastError)}`);
}

export async function stopPostgres(info: Pick<PostgresInfo, 'binDir' | 'baseDir'>): Promise<void> {
  const dataDir = join(info.baseDir, 'data');
  await runAsServerOwner(join(info.binDir, 'pg_ctl'), ['--pgdata', dataDir, '--mode', 'immediate', '--wait', 'stop'], { reject: false });
  await rm(info.baseDir, { recursive: true, force: true });
}
