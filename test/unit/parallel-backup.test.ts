import { parseBackupInputs } from '../../src/backup/inputs.js';
import { parsePgDumpArgs, withoutSelection } from '../../src/backup/pg-dump-args.js';
import { shareTables } from '../../src/backup/table-shares.js';
import { ConfigurationError } from '../../src/errors.js';
import { parseBackupKey, partKeyFor } from '../../src/storage/keys.js';

const valid = { 'database-url': 'postgres://app:s3cret@db.internal:5432/saas_production', bucket: 'saas-backups' };
const parse = (inputs: Record<string, string>) => parseBackupInputs((name) => inputs[name] ?? '', {});

describe('jobs', () => {
  test('defaults to 1 (one archive) and takes 1 to 32', () => {
    expect(parse(valid).jobs).toBe(1);
    expect(parse({ ...valid, jobs: '2' }).jobs).toBe(2);
    expect(parse({ ...valid, jobs: '32' }).jobs).toBe(32);
  });

  test.each([
    ['0', /^jobs must be at least 1, got 0$/],
    ['33', /^jobs must be at most 32, got 33$/],
    ['2.5', /^jobs must be a whole number, got '2.5'$/],
  ])('jobs %s is refused', (jobs, message) => {
    expect(() => parse({ ...valid, jobs })).toThrow(ConfigurationError);
    expect(() => parse({ ...valid, jobs })).toThrow(message);
  });

  test('with format plain it is refused, saying what to change', () => {
    expect(() => parse({ ...valid, format: 'plain', jobs: '2' })).toThrow(
      'jobs: 2 dumps the data in parts that pg_restore restores in parallel, which needs format: custom; set format: custom, or jobs: 1 for one plain SQL file',
    );
    expect(parse({ ...valid, format: 'plain', jobs: '1' }).jobs).toBe(1);
  });
});

describe('shareTables', () => {
  const table = (name: string, sizeBytes: number) => ({ schema: 'public', name, sizeBytes });

  test('largest first, each to the least loaded share', () => {
    const shares = shareTables(
      [table('a', 10), table('b', 70), table('c', 30), table('d', 40), table('e', 20), table('f', 30)],
      2,
    );
    expect(shares.map((share) => share.tables.map((t) => t.name))).toEqual([
      ['b', 'f'],
      ['d', 'c', 'e', 'a'],
    ]);
    expect(shares.map((share) => share.bytes)).toEqual([100, 100]);
  });

  test('every table in exactly one share, none empty, and the same shares for the same tables in any order', () => {
    const tables = Array.from({ length: 1000 }, (_, i) => table(`t${i}`, (i * 7919) % 1000));
    const shares = shareTables(tables, 3);
    const names = shares.flatMap((share) => share.tables.map((t) => t.name));
    expect(names.sort()).toEqual(tables.map((t) => t.name).sort());
    const loads = shares.map((share) => share.bytes);
    expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1000);
    expect(shareTables([...tables].reverse(), 3)).toEqual(shares);
  });

  test('empty tables (0 bytes) are shared out too: no share is left without a table, which would dump them all', () => {
    const shares = shareTables([table('a', 0), table('b', 0), table('c', 0)], 2);
    expect(shares.map((share) => share.tables.map((t) => t.name))).toEqual([['a', 'c'], ['b']]);
    expect(shareTables([table('big', 500), table('x', 0), table('y', 0)], 3).every((s) => s.tables.length === 1)).toBe(
      true,
    );
  });

  test('fewer tables than jobs: one share per table; no tables: one empty share', () => {
    expect(shareTables([table('a', 1)], 4)).toEqual([{ tables: [table('a', 1)], bytes: 1 }]);
    expect(shareTables([], 4)).toEqual([{ tables: [], bytes: 0 }]);
  });
});

test('a data part keeps the options that shape the data and drops those that choose what is dumped (it names its own tables)', () => {
  const args = parsePgDumpArgs(
    '-t users --table=orders -T "audit*" --exclude-table-data payments -n app -N tmp --schema=x -b --large-objects --inserts --rows-per-insert 100 -O -Eutf8 -Ebig5 --load-via-partition-root --no-unlogged-table-data --filter=f.txt --strict-names -Ot users',
  );
  expect(withoutSelection(args)).toEqual([
    '--inserts',
    '--rows-per-insert',
    '100',
    '-O',
    '-Eutf8',
    '-Ebig5',
    '--load-via-partition-root',
  ]);
});

test('parts sit beside their backup and are never taken for one', () => {
  const key = 'db/backup_20261207_050000.dump';
  expect(partKeyFor(key, 2)).toBe('db/backup_20261207_050000.dump.part-2');
  expect(parseBackupKey(partKeyFor(key, 1), 'db/')).toBeUndefined();
  expect(parseBackupKey(key, 'db/')).toBeDefined();
});
