import { ConfigurationError } from '../../src/errors.js';
import { backupKey, manifestKeyFor, parseBackupKey } from '../../src/storage/keys.js';
import { parseManifest, type BackupManifest } from '../../src/storage/manifest.js';
import { parseBucket, parsePrefix } from '../../src/storage/inputs.js';

describe('backup keys', () => {
  test("the plan's naming, in UTC, so lexical order is time order", () => {
    const time = new Date('2026-01-05T02:03:04.999Z');
    expect(backupKey('database/', time, 'plain')).toBe('database/backup_20260105_020304.sql.gz');
    expect(backupKey('', time, 'custom')).toBe('backup_20260105_020304.dump');
    expect(manifestKeyFor('database/backup_20260105_020304.dump')).toBe(
      'database/backup_20260105_020304.dump.manifest.json',
    );
    const keys = ['2026-12-31T23:59:59Z', '2027-01-01T00:00:00Z', '2026-02-01T00:00:00Z'].map((t) =>
      backupKey('p/', new Date(t), 'custom'),
    );
    expect([...keys].sort()).toEqual([keys[2], keys[0], keys[1]]);
  });

  test('parses backups directly under the prefix only', () => {
    expect(parseBackupKey('database/backup_20260105_020304.dump', 'database/')).toEqual({
      key: 'database/backup_20260105_020304.dump',
      format: 'custom',
      time: new Date('2026-01-05T02:03:04Z'),
    });
    expect(parseBackupKey('database/backup_20260105_020304.sql.gz', 'database/')?.format).toBe('plain');
    for (const key of [
      'database/eu/backup_20260105_020304.dump', // a deeper folder: another database
      'other/backup_20260105_020304.dump',
      'database/backup_20260105_020304.dump.manifest.json',
      'database/backup_20261305_020304.dump', // month 13
      'database/backup_20260230_020304.dump', // 30 February
      'database/backup_2026010_020304.dump',
      'database/notes.txt',
    ]) {
      expect(parseBackupKey(key, 'database/')).toBeUndefined();
    }
  });
});

describe('manifest', () => {
  const manifest: BackupManifest = {
    version: 1,
    tool: { name: 'dr-actions', version: '0.1.0' },
    bucket: 'b',
    key: 'database/backup_20260105_020304.dump',
    database: 'saas',
    server: { version: '15.18', versionNum: 150018 },
    pgDump: { version: '15.18' },
    format: 'custom',
    compression: 'gzip:1',
    startedAt: '2026-01-05T02:03:04.000Z',
    finishedAt: '2026-01-05T02:04:00.000Z',
    snapshotAt: '2026-01-05T02:03:04.100Z',
    sizeBytes: 10,
    sha256: 'a'.repeat(64),
    databaseSizeBytes: 100,
    rowCounts: 'exact',
    tables: [{ schema: 'public', name: 'users', rows: 3 }],
    pgDumpArgs: [],
    run: {},
  };

  const v2 = {
    ...manifest,
    version: 2,
    excludedTables: [
      { schema: 'public', name: 'audit', reason: 'its rows are left out by pg-dump-args (--exclude-table-data)' },
    ],
    largeObjects: 2,
    sequences: [{ schema: 'public', name: 'users_id_seq', lastValue: '9223372036854775807', ascending: true }],
    materializedViews: [{ schema: 'public', name: 'totals', rows: 4 }],
  };

  test('a valid manifest parses, of version 1 as of version 2 and 3, with or without parts', () => {
    expect(parseManifest(JSON.stringify(manifest), manifest.key)).toEqual(manifest);
    expect(parseManifest(JSON.stringify(v2), manifest.key)).toEqual(v2);
    const v3 = {
      ...v2,
      version: 3,
      parts: [1, 2].map((n) => ({
        key: `${manifest.key}.part-${n}`,
        role: 'data',
        sizeBytes: n,
        sha256: 'c'.repeat(64),
        tables: n,
      })),
    };
    expect(parseManifest(JSON.stringify(v3), manifest.key)).toEqual(v3);
    expect(parseManifest(JSON.stringify({ ...v2, version: 3 }), manifest.key)).toEqual({ ...v2, version: 3 });
  });

  test.each<[string, unknown, string]>([
    ['not JSON', '{', 'not valid JSON'],
    ['another version', { ...manifest, version: 4 }, "field 'version' should be one of 1, 2, 3 (this manifest says 4)"],
    [
      'parts not beside the key',
      {
        ...v2,
        version: 3,
        parts: [{ key: 'elsewhere', role: 'data', sizeBytes: 1, sha256: 'b'.repeat(64), tables: 1 }],
      },
      `field 'parts[0]' should be {key: '${manifest.key}.part-1', role: 'data', sizeBytes, sha256, tables}`,
    ],
    [
      'parts in a version 2 manifest',
      {
        ...v2,
        parts: [{ key: `${manifest.key}.part-1`, role: 'data', sizeBytes: 1, sha256: 'b'.repeat(64), tables: 1 }],
      },
      "field 'parts' should be absent before version 3",
    ],
    ['version 2 without its lists', { ...manifest, version: 2 }, "field 'excludedTables' should be an array"],
    [
      'version 2 with a sequence value that is no integer',
      { ...v2, sequences: [{ schema: 'public', name: 's', lastValue: 12, ascending: true }] },
      "field 'sequences[0]' should be {schema, name, lastValue, ascending}",
    ],
    [
      'version 2 with a negative large object count',
      { ...v2, largeObjects: -1 },
      "field 'largeObjects' should be a non-negative integer",
    ],
    [
      'version 2 with a view without a count',
      { ...v2, materializedViews: [{ schema: 'public', name: 'v', rows: null }] },
      "field 'materializedViews[0]' should be {schema, name, rows}",
    ],
    [
      'another key',
      { ...manifest, key: 'database/backup_20990101_000000.dump' },
      "field 'key' should be 'database/backup_20260105_020304.dump'",
    ],
    ['a short hash', { ...manifest, sha256: 'abc' }, "field 'sha256' should be 64 lowercase hex digits"],
    ['a negative size', { ...manifest, sizeBytes: -1 }, "field 'sizeBytes' should be a non-negative integer"],
    ['a bad time', { ...manifest, finishedAt: 'yesterday' }, "field 'finishedAt' should be an ISO-8601 time"],
    [
      'a table without a count',
      { ...manifest, tables: [{ schema: 'public', name: 'users', rows: null }] },
      "field 'tables[0]' should be {schema, name, rows} with an exact row count",
    ],
    [
      'a table with a negative size',
      { ...v2, tables: [{ schema: 'public', name: 'users', rows: 3, sizeBytes: -8192 }] },
      "field 'tables[0].sizeBytes' should be a non-negative integer (pg_total_relation_size) when present",
    ],
    [
      'a materialized view whose size is text',
      { ...v2, materializedViews: [{ schema: 'public', name: 'totals', rows: 4, sizeBytes: '8192' }] },
      "field 'materializedViews[0].sizeBytes' should be a non-negative integer (pg_total_relation_size) when present",
    ],
  ])('%s is invalid', (_name, value, message) => {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    expect(() => parseManifest(text, manifest.key)).toThrow(message);
  });

  test("tables' and materialized views' sizes are read where recorded, and manifests from before them still parse", () => {
    const sized = {
      ...v2,
      tables: [{ schema: 'public', name: 'users', rows: 3, sizeBytes: 24576 }],
      materializedViews: [{ schema: 'public', name: 'totals', rows: 4, sizeBytes: 8192 }],
    };
    const parsed = parseManifest(JSON.stringify(sized), manifest.key);
    expect(parsed.tables[0]?.sizeBytes).toBe(24576);
    expect(parsed.materializedViews?.[0]?.sizeBytes).toBe(8192);
    expect(parseManifest(JSON.stringify(v2), manifest.key).tables[0]?.sizeBytes).toBeUndefined();
    expect(parseManifest(JSON.stringify(manifest), manifest.key).tables[0]?.sizeBytes).toBeUndefined();
  });

  test('rows may be null only when row counting was off', () => {
    const off = { ...manifest, rowCounts: 'off', tables: [{ schema: 'public', name: 'users', rows: null }] };
    expect(parseManifest(JSON.stringify(off)).tables[0]?.rows).toBeNull();
  });
});

describe('bucket and prefix', () => {
  test('valid names pass through', () => {
    expect(parseBucket(' saas-backups.eu ')).toBe('saas-backups.eu');
    expect(parsePrefix('')).toBe('');
    expect(parsePrefix('database/eu/')).toBe('database/eu/');
  });
  test('two dots in a row', () => expect(() => parseBucket('a..b')).toThrow('not contain two dots in a row'));

  test.each<[string, string]>([
    [
      'a/../b/',
      "prefix 'a/../b/' has a '..' folder: S3 stores it literally, while the console and sync tools resolve it; write the folders out, e.g. 'a/b/'",
    ],
    ['../b/', "prefix '../b/' has a '..' folder"],
    ['./db/', "prefix './db/' has a '.' folder"],
    ['db/./eu/', "prefix 'db/./eu/' has a '.' folder"],
    ['db/eu/../', "prefix 'db/eu/../' has a '..' folder"],
    [
      'db#1/',
      `prefix 'db#1/' contains "#", which AWS lists as characters to avoid in key names; remove them from the prefix`,
    ],
    ['{db}/[eu]/', 'contains "{", "}", "[", "]", which AWS lists'],
    ['a%20b/', 'contains "%"'],
    ['a^b`c~d|e/', 'contains "^", "`", "~", "|"'],
    ['"db"/<x>/\'y\'/', 'contains "\\"", "<", ">", "\'"'],
    ['a\u0085b/', 'contains "\u0085"'],
  ])('prefix %j is refused before any call', (prefix, message) => {
    expect(() => parsePrefix(prefix)).toThrow(ConfigurationError);
    expect(() => parsePrefix(prefix)).toThrow(message);
  });

  test('dots inside a folder name, and printable Unicode, are fine', () => {
    expect(parsePrefix('db.prod/v1..2/.hidden/')).toBe('db.prod/v1..2/.hidden/');
    expect(parsePrefix('données/数据/')).toBe('données/数据/');
  });
});
