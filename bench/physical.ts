import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { MOTO_CREDENTIALS, startMoto, type MotoServer } from '../harness/moto.js';
import { freePort } from '../harness/free-port.js';
import { ownByServerUser, runAsServerOwner, startPostgres, stopPostgres } from '../harness/postgres.js';
import { DATABASE, type Dataset } from './dataset.js';
import { measure, type Measurement } from './measure.js';

/** The physical comparison, ready to run; or why it cannot run here. */
export type PhysicalRestore =
  | { skipped: string }
  | { run(): Promise<Measurement>; after(): Promise<void>; stop(): Promise<void>; settings: string };

const BUCKET = 'bench-pgbackrest';
const STANZA = 'bench';

/**
 * pgBackRest speaks S3 only over TLS, and checks the certificate's host name (2.45 does not match
 * IP addresses): a certificate for localhost, which the stack's moto serves with --faithful-tls.
 */
async function makeCertificate(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await execa('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  await chmod(key, 0o644);
  return { cert, key };
}

/**
 * pgBackRest's fastest restore from S3 that we found: lz4 (cheapest to decompress), bundles (small
 * files packed into larger objects, one request each instead of one per file), one process per core.
 */
function pgBackRestConfig(
  moto: MotoServer,
  cert: string,
  spool: string,
  source: { dataDir: string; socketDir: string; port: number },
): string {
  return `[global]
repo1-type=s3
repo1-path=/pgbackrest
repo1-s3-bucket=${BUCKET}
repo1-s3-endpoint=localhost
repo1-storage-port=${new URL(moto.endpoint).port}
repo1-s3-region=us-east-1
repo1-s3-key=${MOTO_CREDENTIALS.AWS_ACCESS_KEY_ID}
repo1-s3-key-secret=${MOTO_CREDENTIALS.AWS_SECRET_ACCESS_KEY}
repo1-s3-uri-style=path
repo1-storage-ca-file=${cert}
repo1-retention-full=1
repo1-bundle=y
compress-type=lz4
process-max=${cpus().length}
start-fast=y
log-level-console=warn
log-level-file=off
lock-path=${spool}
spool-path=${spool}

[${STANZA}]
pg1-path=${source.dataDir}
pg1-port=${source.port}
pg1-socket-path=${source.socketDir}
`;
}

/**
 * The physical restore the issue compares restore-verify with: an online pgBackRest backup of the
 * dataset's cluster (through WAL archiving to the same S3, as production would run it) is taken
 * once, untimed; each run then restores it into a new data directory, starts PostgreSQL on it
 * (recovery to the backup's consistent point), and answers every table's row count. The backup is
 * taken from a copy of the dataset's cluster, so the shared dataset never gets archive settings.
 */
export async function preparePhysicalRestore(dataset: Dataset, log: (line: string) => void): Promise<PhysicalRestore> {
  if ((await execa('pgbackrest', ['version'], { reject: false })).exitCode !== 0)
    return { skipped: 'pgbackrest is not installed (apt-get install pgbackrest)' };
  if ((await execa('openssl', ['version'], { reject: false })).exitCode !== 0)
    return { skipped: 'openssl is not installed (for the TLS certificate pgBackRest needs)' };
  // A folder of its own: the server user must reach it (the benchmark's work folder is root's alone).
  const dir = await mkdtemp(join(tmpdir(), 'dr-actions-bench-physical-'));
  await ownByServerUser(dir);
  const { cert, key } = await makeCertificate(dir);
  const moto = await startMoto({ tls: { cert, key } });
  await execa('renice', ['-n', '19', '-p', String(moto.pid)]);
  const aws = { ...MOTO_CREDENTIALS, AWS_DEFAULT_REGION: 'us-east-1', AWS_CA_BUNDLE: cert };
  await execa('aws', ['s3', 'mb', '--endpoint-url', moto.endpoint, `s3://${BUCKET}`], { env: aws });

  // A clean copy of the dataset's cluster: stopped first, so that the copy is consistent.
  log('physical: copying the dataset cluster for the pgBackRest backup (untimed)');
  await dataset.server.stop();
  const copy = join(dir, 'source');
  await cp(dataset.server.baseDir, copy, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
  await execa('chown', ['-R', 'postgres:postgres', copy]).catch(() => undefined);
  const conf = join(dir, 'pgbackrest.conf');
  const spool = join(dir, 'spool');
  await mkdir(spool, { recursive: true });
  await ownByServerUser(spool);
  const pgbackrest = (args: string[]) =>
    runAsServerOwner('pgbackrest', [`--config=${conf}`, `--stanza=${STANZA}`, ...args]);
  const archive = `'pgbackrest --config=${conf} --stanza=${STANZA} archive-push %p'`;
  const source = await startPostgres({
    persistentDir: copy,
    settings: { archive_mode: 'on', archive_command: archive, wal_level: 'replica' },
  });
  await writeFile(
    conf,
    pgBackRestConfig(moto, cert, spool, { dataDir: join(copy, 'data'), socketDir: copy, port: source.port }),
  );
  await chmod(conf, 0o644);
  const started = performance.now();
  await pgbackrest(['stanza-create']);
  await pgbackrest(['backup', '--type=full']);
  log(`physical: pgBackRest backup taken in ${((performance.now() - started) / 1000).toFixed(1)} s (untimed)`);
  await source.stop();
  await rm(copy, { recursive: true, force: true });

  const restored = join(dir, 'restored');
  const tables = Object.keys(dataset.rows);
  const countSql = `SELECT ${tables.map((t) => `(SELECT count(*) FROM ONLY public.${t})`).join(', ')}`;
  const expected = tables.map((t) => String(dataset.rows[t])).join('|');
  const binDir = source.binDir;
  return {
    settings: `pgBackRest ${(await execa('pgbackrest', ['version'])).stdout.replace(/^pgBackRest /, '')}, compress-type=lz4, repo1-bundle=y, process-max=${cpus().length}, S3 over TLS`,
    run: async () => {
      await mkdir(join(restored, 'data'), { recursive: true, mode: 0o700 });
      await ownByServerUser(restored);
      await ownByServerUser(join(restored, 'data'));
      const port = await freePort();
      const m = await measure(
        'bash',
        [
          '-c',
          [
            'set -e',
            'runuser -u postgres -- pgbackrest --config="$CONF" --stanza="$STANZA" restore --pg1-path="$DIR/data" --type=immediate --target-action=promote',
            'runuser -u postgres -- "$BIN/pg_ctl" --pgdata "$DIR/data" --log "$DIR/server.log" --wait --timeout 600 -o "-p $PORT -c unix_socket_directories=$DIR -c archive_mode=off" start > /dev/null',
            'psql -X -At -h "$DIR" -p "$PORT" -U postgres -d "$DB" -c "$COUNT"',
          ].join('\n'),
        ],
        {
          CONF: conf,
          STANZA,
          DIR: restored,
          BIN: binDir,
          PORT: String(port),
          DB: DATABASE,
          COUNT: countSql,
          PATH: process.env.PATH ?? '',
        },
      );
      if (m.stdout.trim() !== expected)
        throw new Error(`the physical restore counted ${m.stdout.trim()}, the dataset has ${expected}`);
      return m;
    },
    after: () => stopPostgres({ binDir, baseDir: restored }),
    stop: async () => {
      await moto.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
