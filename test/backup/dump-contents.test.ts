import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { manifestKeyFor } from '../../src/storage/keys.js';
import type { BackupManifest } from '../../src/storage/manifest.js';
import { runBundledAction } from '../../harness/bundled-action.js';
import { createDatabase, databaseExists, dropDatabase, sql } from '../helpers/postgres.js';
import { createBucket, listKeys } from '../helpers/s3.js';
import { loadSampleData } from '../helpers/sample-data.js';
import { getObject, putObject, scratchName, storedManifest } from '../restore-verify/fixtures.js';
import { stackFromEnv } from '../../harness/stack.js';

/**
 * What a backup holds is what its manifest says, through the bundled actions: options that would
 * drop data are refused, excluded tables are named with the reason, and the large objects,
 * sequences and materialized views a restore must bring back are recorded and compared.
 */

let source: { name: string; url: string };

const ODD_NAMES = ['quote"d', 'new\nline', 'tab\there', 'Ünïcødé 表', 'x"; drop table y; --'];
const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

beforeAll(async () => {
  source = await createDatabase('contents');
  await loadSampleData(source.url, 300);
  await sql(
    source.url,
    `SELECT lo_from_bytea(0, convert_to('large object ' || g, 'UTF8')) FROM generate_series(1, 3) g;
     CREATE SEQUENCE invoice_numbers START 1000; SELECT nextval('invoice_numbers') FROM generate_series(1, 5);
     CREATE SEQUENCE countdown INCREMENT -1 START -1 MAXVALUE -1; SELECT nextval('countdown') FROM generate_series(1, 3);
     CREATE SEQUENCE round_robin MAXVALUE 8 CYCLE; SELECT nextval('round_robin') FROM generate_series(1, 3);
     CREATE MATERIALIZED VIEW org_sizes AS SELECT org_id, count(*) AS users FROM users GROUP BY org_id;
     CREATE MATERIALIZED VIEW never_filled AS SELECT 1 AS one WITH NO DATA;
     CREATE SCHEMA ${quoteIdent('odd "schema"\t2')};
     ${ODD_NAMES.map((name, i) => `CREATE TABLE ${quoteIdent('odd "schema"\t2')}.${quoteIdent(name)} (id int); INSERT INTO ${quoteIdent('odd "schema"\t2')}.${quoteIdent(name)} SELECT generate_series(1, ${i + 1});`).join('\n')}
     CREATE UNLOGGED TABLE scratch_cache (k text);`,
  );
}, 120_000);

afterAll(() => dropDatabase(source.name));

const endpoint = () => stackFromEnv().awsEndpoint;
const backup = (inputs: Record<string, string>) =>
  runBundledAction('backup', {
    'database-url': source.url,
    'endpoint-url': endpoint(),
    region: 'us-east-1',
    retention: 'off',
    ...inputs,
  });
const restoreVerify = (inputs: Record<string, string>) =>
  runBundledAction('restore-verify', {
    'endpoint-url': endpoint(),
    'target-database-url': stackFromEnv().postgresUrl(scratchName()),
    jobs: '2',
    ...inputs,
  });

describe('refused before any call', () => {
  test.each([
    ['prefix', 'a/../b/', /^::error::prefix 'a\/\.\.\/b\/' has a '\.\.' folder: S3 stores it literally/m],
    ['prefix', 'db/./eu/', /^::error::prefix 'db\/\.\/eu\/' has a '\.' folder/m],
    [
      'prefix',
      'backups#1/',
      /^::error::prefix 'backups#1\/' contains "#", which AWS lists as characters to avoid in key names/m,
    ],
    [
      'pg-dump-args',
      '--no-data',
      /^::error::pg-dump-args: --no-data is not allowed: a dump without data is not a backup$/m,
    ],
    ['pg-dump-args', '--statistics-only', /^::error::pg-dump-args: --statistics-only is not allowed/m],
    ['pg-dump-args', '--no-schema', /^::error::pg-dump-args: --no-schema is not allowed/m],
    [
      'pg-dump-args',
      '--no-statistics',
      /^::error::pg-dump-args: --no-statistics is not allowed: pg-dump-args takes only options that choose what is dumped/m,
    ],
  ])('%s %j', async (input, value, message) => {
    const bucket = await createBucket('refused');
    const run = await backup({ bucket, [input]: value });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toMatch(message);
    expect(await listKeys(bucket)).toEqual([]);
  });
});

test("a dump that would hold no table's rows fails, naming a table and why, and stores nothing", async () => {
  const bucket = await createBucket('nodata');
  const run = await backup({ bucket, 'pg-dump-args': "--exclude-table-data='*.*'" });
  expect(run.exitCode).toBe(1);
  expect(run.stdout).toMatch(
    /::error::the dump would hold the rows of none of the database's \d+ tables \(e\.g\. .*: its rows are left out by pg-dump-args \(--exclude-table-data\)\), so it would be no backup; check pg-dump-args/,
  );
  expect(await listKeys(bucket)).toEqual([]);
});

test('the manifest lists exactly the tables whose rows are in the dump, and says why each other table is not', async () => {
  const bucket = await createBucket('excluded');
  const run = await backup({
    bucket,
    'pg-dump-args': '--exclude-table-data=payments -T "\\"Billing Archive\\".*" --no-unlogged-table-data',
  });
  expect(run.exitCode).toBe(0);
  const manifest = await storedManifest(bucket, run.outputs.key as string);
  // A single archive keeps version 2, which a restore tool one release behind still reads.
  expect(manifest.version).toBe(2);
  expect(manifest.parts).toBeUndefined();
  const names = manifest.tables.map((t) => `${t.schema}.${t.name}`);
  expect(names).not.toContain('public.payments');
  expect(names).toContain('public.users');
  expect(manifest.excludedTables).toEqual([
    {
      schema: 'Billing Archive',
      name: 'Old "Invoices"',
      reason: 'not selected by pg-dump-args (--table, --schema, --exclude-table, --exclude-schema, ...)',
    },
    { schema: 'public', name: 'payments', reason: 'its rows are left out by pg-dump-args (--exclude-table-data)' },
    {
      schema: 'public',
      name: 'scratch_cache',
      reason: 'unlogged table, its rows left out by --no-unlogged-table-data',
    },
  ]);
  expect(Number(run.outputs.tables)).toBe(manifest.tables.length);
});

describe('large objects, sequences, materialized views and odd names, from backup to restore-verify', () => {
  let bucket: string;
  let key: string;
  let manifest: BackupManifest;

  beforeAll(async () => {
    bucket = await createBucket('facts');
    const run = await backup({ bucket });
    expect(run.stdout).not.toContain('::error::');
    key = run.outputs.key as string;
    manifest = await storedManifest(bucket, key);
  }, 120_000);

  test('the manifest records them as the snapshot had them', () => {
    expect(manifest.largeObjects).toBe(3);
    expect(manifest.sequences).toEqual(
      expect.arrayContaining([
        { schema: 'public', name: 'invoice_numbers', lastValue: '1004', ascending: true },
        { schema: 'public', name: 'countdown', lastValue: '-3', ascending: false },
        { schema: 'public', name: 'round_robin', lastValue: '3', ascending: true },
        { schema: 'public', name: 'users_id_seq', lastValue: '300', ascending: true },
      ]),
    );
    expect(manifest.materializedViews).toEqual([
      { schema: 'public', name: 'org_sizes', rows: 50, sizeBytes: expect.any(Number) },
    ]);
    const odd = manifest.tables.filter((t) => t.schema === 'odd "schema"\t2');
    expect(odd.map((t) => [t.name, t.rows]).sort()).toEqual(ODD_NAMES.map((name, i) => [name, i + 1]).sort());
  });

  test("each table's recorded size is its own: at least its heap and indexes then, at most all of it now", async () => {
    // Vacuum may add free-space and visibility maps after the backup, never take pages away.
    const bounds = JSON.parse(
      await sql(
        source.url,
        `SELECT json_agg(json_build_array(n.nspname, c.relname, pg_relation_size(c.oid) + pg_indexes_size(c.oid), pg_total_relation_size(c.oid)))
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
      ),
    ) as [string, string, number, number][];
    const byName = new Map(bounds.map(([schema, name, low, high]) => [`${schema}.${name}`, [low, high]]));
    for (const t of [...manifest.tables, ...(manifest.materializedViews ?? [])]) {
      const [low, high] = byName.get(`${t.schema}.${t.name}`) ?? [];
      expect([t.name, t.sizeBytes]).toEqual([t.name, expect.any(Number)]);
      expect(t.sizeBytes).toBeGreaterThanOrEqual(low as number);
      expect(t.sizeBytes).toBeLessThanOrEqual(high as number);
    }
  });

  test('restore-verify restores them and finds every one as recorded', async () => {
    const target = scratchName();
    const run = await restoreVerify({ bucket, backup: key, 'target-database-url': stackFromEnv().postgresUrl(target) });
    expect(run.stdout).not.toContain('::error::');
    expect(run.exitCode).toBe(0);
    expect(run.summary).toContain(
      `${manifest.sequences?.length} sequences, 1 materialized views, 3 large objects as recorded`,
    );
    expect(await databaseExists(target)).toBe(false);
  });

  // round_robin cycles: recorded at 7, it may have wrapped to 3 before pg_dump read it, which is no difference.
  test('a manifest that records more than the dump brings back fails verify, naming each difference', async () => {
    const tamperedKey = key.replace(/_(\d{6})\.dump$/, '_000001.dump');
    await putObject(bucket, tamperedKey, await getObject(bucket, key));
    const tampered: BackupManifest = {
      ...manifest,
      key: tamperedKey,
      largeObjects: 4,
      sequences: (manifest.sequences ?? []).map((s) => ({
        ...s,
        lastValue: { invoice_numbers: '2000', countdown: '-10', round_robin: '7' }[s.name] ?? s.lastValue,
      })),
      materializedViews: [
        { schema: 'public', name: 'org_sizes', rows: 51 },
        { schema: 'public', name: 'gone', rows: 1 },
      ],
    };
    await putObject(bucket, manifestKeyFor(tamperedKey), JSON.stringify(tampered));
    const run = await restoreVerify({ bucket, backup: tamperedKey });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      `::error::restore test failed: verify: the restored data differs from the manifest of ${tamperedKey}: 3 large objects were restored, the manifest says 4; ` +
        "sequence public.countdown is at -3, behind the manifest's -10; sequence public.invoice_numbers is at 1004, behind the manifest's 2000; " +
        'materialized view public.org_sizes has 50 rows after its refresh, the manifest says 51; materialized view public.gone is missing',
    );
  });
});
