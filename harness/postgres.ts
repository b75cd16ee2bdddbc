import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
  /** Shared libraries the server binaries need from outside the system's (the npm-packaged majors). */
  libDir?: string;
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

/** Where CI installs several majors side by side, PG_BINDIR_ENV names the one to test; else `pg_config --bindir`. */
const PG_BINDIR_ENV = 'DR_PG_BINDIR';

export async function pgBinDir(): Promise<string> {
  const chosen = process.env[PG_BINDIR_ENV];
  if (chosen) return chosen;
  const { stdout } = await execa('pg_config', ['--bindir']);
  return stdout.trim();
}

/**
 * initdb refuses root, so as root every server command runs as the `postgres` user; `enter` is an
 * argv prefix it runs under (a network namespace's nsenter).
 */
export function runAsServerOwner(file: string, args: string[], options: Options = {}, enter: string[] = []) {
  const argv = process.getuid?.() === 0 ? ['runuser', '-u', SUPERUSER, '--', file, ...args] : [file, ...args];
  const [command = file, ...rest] = [...enter, ...argv];
  return execa(command, rest, options);
}

export async function ownByServerUser(path: string): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const { stdout: uid } = await execa('id', ['-u', SUPERUSER]);
  const { stdout: gid } = await execa('id', ['-g', SUPERUSER]);
  await chown(path, Number(uid), Number(gid));
}

/** Rewrites our settings in postgresql.auto.conf (which wins over postgresql.conf), dropping their old values. */
async function writeSettings(dataDir: string, settings: Record<string, string>): Promise<void> {
  const file = join(dataDir, 'postgresql.auto.conf');
  const kept = (await readFile(file, 'utf8'))
    .split('\n')
    .filter((line) => !Object.keys(settings).some((name) => line.startsWith(`${name} =`)));
  const conf = Object.entries(settings).map(([name, value]) => `${name} = ${value}`);
  await writeFile(file, `${[...kept.filter(Boolean), ...conf].join('\n')}\n`);
}

/** Child-process options for a server binary: its own shared libraries first, when it brings them. */
function serverEnv(libDir: string | undefined): { env?: Record<string, string> } {
  if (!libDir) return {};
  return { env: { LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } };
}

async function initCluster(
  binDir: string,
  libDir: string | undefined,
  baseDir: string,
  password: string,
): Promise<void> {
  const passwordFile = join(baseDir, 'superuser-password');
  await writeFile(passwordFile, `${password}\n`, { mode: 0o600 });
  await ownByServerUser(passwordFile);
  await runAsServerOwner(
    join(binDir, 'initdb'),
    [
      '--pgdata',
      join(baseDir, 'data'),
      '--username',
      SUPERUSER,
      '--pwfile',
      passwordFile,
      '--auth-local',
      'trust',
      '--auth-host',
      'scram-sha-256',
      '--encoding',
      'UTF8',
      '--locale',
      'C',
      '--no-sync',
    ],
    serverEnv(libDir),
  );
}

export interface StartPostgresOptions {
  /** Extra server settings, e.g. { max_wal_senders: '20' }. */
  settings?: Record<string, string>;
  /**
   * A folder that outlives the server (benchmark datasets): the cluster in it is reused when there
   * is one, and stop() shuts it down cleanly and keeps it. By default, a new temp folder that stop() removes.
   */
  persistentDir?: string;
  /** Another major's server binaries (see embedded-postgres.ts); by default the machine's (pgBinDir). */
  binDir?: string;
  /** The shared libraries those binaries need, put on LD_LIBRARY_PATH for every server command. */
  libDir?: string;
  /** A network of its own (vanishing-network.ts): the server listens there and lets its clients in. */
  network?: ServerNetwork;
}

/** Where a server runs in a network namespace: the prefix that enters it, its address, and its clients'. */
export interface ServerNetwork {
  enter: string[];
  address: string;
  /** The one client address (host all all <address>/32 scram-sha-256 in pg_hba.conf). */
  client: string;
}

/** Lets the network's client in with a password, as the cluster's own host lines do. */
async function allowClient(dataDir: string, network: ServerNetwork): Promise<void> {
  await appendFile(join(dataDir, 'pg_hba.conf'), `host all all ${network.client}/32 scram-sha-256\n`);
}

/**
 * Starts a cluster on a free loopback port, created with initdb unless a persistent one exists.
 * Host connections need the superuser's password (scram-sha-256), so wrong-password paths are real.
 */
export async function startPostgres(options: StartPostgresOptions = {}): Promise<PostgresServer> {
  const binDir = options.binDir ?? (await pgBinDir());
  const { libDir } = options;
  const persistent = options.persistentDir !== undefined;
  const baseDir = options.persistentDir ?? (await mkdtemp(join(tmpdir(), 'dr-actions-pg-')));
  await mkdir(baseDir, { recursive: true });
  await ownByServerUser(baseDir);
  const dataDir = join(baseDir, 'data');
  const existing = persistent && existsSync(join(dataDir, 'PG_VERSION'));
  const password = existing
    ? (await readFile(join(baseDir, 'superuser-password'), 'utf8')).trim()
    : randomBytes(12).toString('base64url');
  if (!existing) await initCluster(binDir, libDir, baseDir, password);
  if (options.network) await allowClient(dataDir, options.network);
  if (!persistent) await rm(join(baseDir, 'superuser-password'));

  const { stdout: versionLine } = await execa(join(binDir, 'postgres'), ['--version'], serverEnv(libDir));
  const version = /\(PostgreSQL\)\s+(\S+)/.exec(versionLine)?.[1] ?? versionLine;

  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    await writeSettings(dataDir, {
      ...SCRATCH_SETTINGS,
      port: String(port),
      unix_socket_directories: `'${baseDir}'`,
      ...(options.network ? { listen_addresses: `'${options.network.address}'` } : {}),
      ...options.settings,
    });
    try {
      await runAsServerOwner(
        join(binDir, 'pg_ctl'),
        ['--pgdata', dataDir, '--log', join(baseDir, 'server.log'), '--wait', '--timeout', '120', 'start'],
        serverEnv(libDir),
        options.network?.enter,
      );
      const info: PostgresInfo = {
        host: options.network?.address ?? '127.0.0.1',
        port,
        user: SUPERUSER,
        password,
        binDir,
        ...(libDir ? { libDir } : {}),
        baseDir,
        version,
      };
      return {
        ...info,
        url: (database?: string) => postgresUrl(info, database),
        stop: () => (persistent ? stopPostgres(info, 'fast', false) : stopPostgres(info)),
      };
    } catch (error) {
      lastError = error;
      const log = await readFile(join(baseDir, 'server.log'), 'utf8').catch(() => '');
      if (!/could not bind|Address already in use/i.test(log)) break;
    }
  }
  if (!persistent) await rm(baseDir, { recursive: true, force: true });
  throw new Error(`PostgreSQL did not start: ${String(lastError)}`);
}

/** A throw-away cluster stops at once and its folder goes; a persistent one shuts down cleanly and stays. */
export async function stopPostgres(
  info: Pick<PostgresInfo, 'binDir' | 'libDir' | 'baseDir'>,
  mode: 'immediate' | 'fast' = 'immediate',
  remove = true,
): Promise<void> {
  const dataDir = join(info.baseDir, 'data');
  await runAsServerOwner(join(info.binDir, 'pg_ctl'), ['--pgdata', dataDir, '--mode', mode, '--wait', 'stop'], {
    reject: false,
    ...serverEnv(info.libDir),
  });
  if (remove) await rm(info.baseDir, { recursive: true, force: true });
}
