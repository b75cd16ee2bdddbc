import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { planDumpContents } from '../../src/backup/dump-contents.js';
import { parseBackupInputs } from '../../src/backup/inputs.js';
import { runBackup } from '../../src/backup/run-backup.js';
import { findClient } from '../../src/postgres/binaries.js';
import { parseDatabaseUrl } from '../../src/postgres/connection.js';
import { PsqlSession } from '../../src/postgres/psql-session.js';
import { readSequencesInSnapshot } from '../../src/postgres/snapshot-counts.js';
import { exportSnapshot } from '../../src/postgres/snapshot.js';
import type { Logger } from '../../src/util/logger.js';
import { stackFromEnv } from '../../harness/stack.js';
import { ownSecondClock } from '../helpers/backup-run.js';
import { createDatabase, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys, openMultipartUploads } from '../helpers/s3.js';

/**
 * A backup of one custom-format archive reads what its dump holds from the dump's own stream (its
 * table of contents comes before the data): that must be what a separate pass over the catalogs
 * reads, every table counted exactly, and a dump that fails once its table of contents was read
 * must store nothing.
 */

let source: { name: string; url: string };
const owner = `streamed_owner_${process.pid}`;
const TOC_READ = 'table of contents read from the dump';

beforeAll(async () => {
  source = await createDatabase('streamed');
  await sql(
    source.url,
    `CREATE ROLE ${owner};
     CREATE SCHEMA billing AUTHORIZATION ${owner};
     CREATE TABLE billing.invoices (id serial PRIMARY KEY, total numeric); ALTER TABLE billing.invoices OWNER TO ${owner};
     INSERT INTO billing.invoices (total) SELECT g FROM generate_series(1, 120) g;
     CREATE TABLE public.events (id bigint GENERATED ALWAYS AS IDENTITY, kind text);
     INSERT INTO public.events (kind) SELECT 'e' || g FROM generate_series(1, 300) g;
     CREATE TABLE public.audit_log (line text); INSERT INTO public.audit_log SELECT 'l' || g FROM generate_series(1, 50) g;
     CREATE UNLOGGED TABLE public.cache (k text); INSERT INTO public.cache VALUES ('a'), ('b');
     CREATE TABLE public.empty_one (id int);
     CREATE MATERIALIZED VIEW public.kinds AS SELECT kind FROM public.events;
     CREATE MATERIALIZED VIEW public.never_filled AS SELECT 1 AS one WITH NO DATA;
     SELECT lo_from_bytea(0, 'large object'::bytea);`,
  );
}, 120_000);

afterAll(async () => {
  await dropDatabase(source.name);
  await sql(stackFromEnv().postgresUrl('postgres'), `DROP ROLE IF EXISTS ${owner}`);
});

/** A logger that keeps the lines and calls `onLine` with each. */
function keptLog(onLine: (line: string) => void = () => undefined): Logger & { lines: string[] } {
  const lines: string[] = [];
  const keep = (line: string) => {
    lines.push(line);
    onLine(line);
  };
  return { lines, info: keep, warning: keep, debug: keep };
}

function backup(inputs: Record<string, string>, log: Logger, endpoint = stackFromEnv().awsEndpoint) {
  const all: Record<string, string> = { 'endpoint-url': endpoint, region: 'us-east-1', retention: 'off', ...inputs };
  const settings = parseBackupInputs((name) => all[name] ?? '', {});
  return runBackup({ ...settings, run: { repository: 'acme/saas', runId: '7' }, log, clock: ownSecondClock() });
}

/** What a separate pass of pg_dump over the catalogs says a dump with these arguments holds, in a snapshot of its own. */
async function previewed(pgDumpArgs: string[]) {
  const target = parseDatabaseUrl(source.url, 'database-url');
  const psql = await findClient('psql');
  const session = await PsqlSession.open(target, { psqlPath: psql.path });
  try {
    const snapshot = await exportSnapshot(session);
    const args = [`--snapshot=${snapshot.id}`, ...pgDumpArgs];
    return await planDumpContents(
      session,
      await findClient('pg_dump'),
      target,
      args,
      (oids) => readSequencesInSnapshot(target, psql.path, snapshot.id, oids),
      true,
    );
  } finally {
    await session.close();
  }
}

test.each([
  ['no pg-dump-args: counted from the start of the dump', ''],
  [
    'pg-dump-args that leave rows out: counted once the table of contents arrives',
    '--exclude-table-data=public.audit_log --no-unlogged-table-data',
  ],
])(
  '%s',
  async (_case, pgDumpArgs) => {
    const bucket = await createBucket('streamed');
    const log = keptLog();
    const { manifest } = await backup({ 'database-url': source.url, bucket, 'pg-dump-args': pgDumpArgs }, log);
    expect(log.lines.some((line) => line.startsWith(TOC_READ))).toBe(true);

    const preview = await previewed(pgDumpArgs.split(' ').filter(Boolean));
    expect(manifest.tables.map(({ schema, name }) => ({ schema, name }))).toEqual(preview.tables);
    expect(manifest.excludedTables).toEqual(preview.excludedTables);
    expect(manifest.sequences).toEqual(preview.sequences);
    expect(manifest.largeObjects).toBe(preview.largeObjects);
    expect(manifest.materializedViews?.map(({ schema, name }) => ({ schema, name }))).toEqual(
      preview.materializedViews,
    );
    const roles = preview.roles;
    if (!roles || roles instanceof Error) throw new Error('the preview read no roles');
    expect(manifest.roles).toEqual(roles.roles);
    expect(manifest.roles?.map((role) => role.name)).toContain(owner);

    // Exact rows, each table and view counted once.
    const rows = Object.fromEntries(manifest.tables.map((t) => [`${t.schema}.${t.name}`, t.rows]));
    const expected: Record<string, number> = { 'billing.invoices': 120, 'public.events': 300, 'public.empty_one': 0 };
    if (!pgDumpArgs) Object.assign(expected, { 'public.audit_log': 50, 'public.cache': 2 });
    expect(rows).toEqual(expected);
    expect(manifest.materializedViews?.map((v) => [v.name, v.rows])).toEqual([['kinds', 300]]);
    for (const table of manifest.tables) expect(table.sizeBytes).toBeGreaterThan(table.rows ? 0 : -1);
  },
  120_000,
);

/** An HTTP proxy in front of S3 that holds every part upload until released: pg_dump then waits on its full pipe. */
async function partHoldingProxy(target: string): Promise<{ url: string; release(): void; server: Server }> {
  const upstream = new URL(target);
  const held: (() => void)[] = [];
  let released = false;
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const { expect: _continue, ...headers } = req.headers;
    const onward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    onward.on('error', () => res.destroy());
    req.pipe(onward);
  };
  const server = createServer((req, res) => {
    if (!released && /[?&]partNumber=/.test(req.url ?? '')) {
      req.pause();
      held.push(() => forward(req, res));
    } else forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    release: () => {
      released = true;
      for (const go of held.splice(0)) go();
    },
    server,
  };
}

test('a dump that fails after its table of contents was read from the stream stores no object, no manifest, no open upload', async () => {
  // ~48 MiB of rows that do not compress: far more than the upload's buffers hold while S3 is held.
  await sql(
    source.url,
    `CREATE TABLE public.bulk (id int PRIMARY KEY, body bytea);
     INSERT INTO public.bulk SELECT g, (SELECT decode(string_agg(md5(random()::text || g || i), ''), 'hex') FROM generate_series(1, 1024) i) FROM generate_series(1, 1500) g;`,
  );
  const bucket = await createBucket('streamed-fail');
  const proxy = await partHoldingProxy(stackFromEnv().awsEndpoint);
  let tocRead!: () => void;
  const tocWasRead = new Promise<void>((resolve) => (tocRead = resolve));
  const log = keptLog((line) => {
    if (line.startsWith(TOC_READ)) tocRead();
  });
  try {
    const running = backup({ 'database-url': source.url, bucket, compression: 'none' }, log, proxy.url);
    running.catch(() => undefined);
    await tocWasRead;
    // pg_dump is still running: its output waits behind the held parts. Its server connection is ended.
    const ended = await sql(
      stackFromEnv().postgresUrl('postgres'),
      `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${source.name}' AND application_name = 'dr-actions backup') t`,
    );
    expect(ended.trim()).toBe('1');
    proxy.release();
    await expect(running).rejects.toThrow(/^backup failed, nothing was stored: pg_dump exited with code 1: /);
    expect(await listKeys(bucket)).toEqual([]);
    expect(await openMultipartUploads(bucket)).toEqual([]);
  } finally {
    proxy.release();
    proxy.server.close();
    await sql(source.url, 'DROP TABLE public.bulk');
  }
}, 300_000);
