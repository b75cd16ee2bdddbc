import type { RunContext } from '../github/run-context.js';
import type { DumpRole } from '../postgres/dump-roles.js';
import type { GlobalsRecord } from './globals-record.js';
import { partKeyFor, type BackupFormat } from './keys.js';
import { isIsoTime } from '../util/time.js';

/**
 * 2 added excludedTables, largeObjects, sequences and materializedViews; 3 added parts (a parallel
 * backup's data in objects of their own), and is written only by a backup that has parts, so a
 * restore tool one release behind still reads every single-archive backup. Versions 1 and 2 are
 * still read. Fields that readers of the same version may ignore are added without a new version:
 * the tables' and materialized views' sizeBytes.
 */
export const MANIFEST_VERSION = 3;
/** The version a backup without parts writes. */
export const SINGLE_ARCHIVE_MANIFEST_VERSION = 2;
const READABLE_VERSIONS: readonly number[] = [1, 2, 3];

export interface TableRowCount {
  schema: string;
  name: string;
  /** Exact count in the dump's snapshot; null when row counting was off. */
  rows: number | null;
  /**
   * pg_total_relation_size (heap, indexes, TOAST) on the source while it was dumped, in bytes;
   * absent in backups made before it was recorded.
   */
  sizeBytes?: number;
}

/** A table of the database whose rows are not in the dump, and why. */
export interface ExcludedTable {
  schema: string;
  name: string;
  reason: string;
}

export interface SequenceState {
  schema: string;
  name: string;
  /** bigint as text; null when the sequence was never used. */
  lastValue: string | null;
  ascending: boolean;
}

export interface MaterializedViewRows {
  schema: string;
  name: string;
  /** Exact count in the dump's snapshot; null when row counting was off. */
  rows: number | null;
  /** pg_total_relation_size on the source while it was dumped, in bytes; absent in older backups. */
  sizeBytes?: number;
}

/** S3's own full-object checksum of the object, which S3 verifies on upload. */
export interface StorageChecksum {
  algorithm: 'CRC64NVME' | 'CRC32C' | 'CRC32';
  type: 'FULL_OBJECT' | 'COMPOSITE';
  value: string;
}

/** One data part of a parallel backup: a custom-format archive of the data section of its share of the tables. */
export interface BackupPart {
  /** `<key>.part-<n>`, n from 1 (keys.ts partKeyFor). */
  key: string;
  role: 'data';
  sizeBytes: number;
  /** SHA-256 of the part's bytes, hex. */
  sha256: string;
  /** How many tables' rows the part holds. */
  tables: number;
  storageChecksum?: StorageChecksum;
}

/**
 * Written next to the object as `<key>.manifest.json`, only after the object is complete.
 * A backup without a valid manifest is incomplete.
 */
export interface BackupManifest {
  version: 1 | 2 | typeof MANIFEST_VERSION;
  tool: { name: string; version: string };
  bucket: string;
  key: string;
  database: string;
  server: { version: string; versionNum: number };
  pgDump: { version: string };
  format: BackupFormat;
  /** e.g. gzip:1, zstd:3, none */
  compression: string;
  /** Client clock, UTC ISO-8601. */
  startedAt: string;
  finishedAt: string;
  /** Server clock when the dump's snapshot was taken: the data is as of this instant. */
  snapshotAt: string;
  sizeBytes: number;
  /** SHA-256 of the object's bytes, hex. */
  sha256: string;
  storageChecksum?: StorageChecksum;
  databaseSizeBytes: number;
  rowCounts: 'exact' | 'off';
  /** Exactly the tables whose rows are in the dump. */
  tables: TableRowCount[];
  /** From version 2: the database's tables whose rows are not in the dump, and why. */
  excludedTables?: ExcludedTable[];
  /** From version 2: large objects in the dump; absent when the dump holds none of the database's. */
  largeObjects?: number;
  /** From version 2: the sequences the dump sets, with their values in the snapshot (a restore may bring back a later one). */
  sequences?: SequenceState[];
  /** From version 2: the populated materialized views in the dump, with their rows in the snapshot. */
  materializedViews?: MaterializedViewRows[];
  pgDumpArgs: string[];
  /**
   * From version 3, only in a backup made with jobs above 1: its data, in parts beside the key,
   * while the object at the key holds the schema (the pre-data and post-data sections).
   */
  parts?: BackupPart[];
  run: RunContext;
  /** The server's globals stored beside the backup; absent in backups made before they were. */
  globals?: GlobalsRecord;
  /** The roles the dump depends on: owners and grantees in its table of contents. */
  roles?: DumpRole[];
}

export class InvalidManifestError extends Error {
  override name = 'InvalidManifestError';
}

const isIso = (value: unknown) => typeof value === 'string' && isIsoTime(value);

/** Parses and checks a manifest; the error says which field is wrong. */
export function parseManifest(text: string, expectedKey?: string): BackupManifest {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new InvalidManifestError('not valid JSON');
  }
  if (typeof data !== 'object' || data === null) throw new InvalidManifestError('not a JSON object');
  const m = data as Record<string, unknown>;
  const fail = (field: string, expected: string) => {
    throw new InvalidManifestError(`field '${field}' should be ${expected}`);
  };
  if (!READABLE_VERSIONS.includes(m.version as number))
    fail('version', `one of ${READABLE_VERSIONS.join(', ')} (this manifest says ${JSON.stringify(m.version)})`);
  if (typeof m.key !== 'string') fail('key', 'a string');
  if (expectedKey !== undefined && m.key !== expectedKey) fail('key', `'${expectedKey}', the object it sits next to`);
  if (typeof m.database !== 'string') fail('database', 'a string');
  if (m.format !== 'custom' && m.format !== 'plain') fail('format', "'custom' or 'plain'");
  if (typeof m.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(m.sha256)) fail('sha256', '64 lowercase hex digits');
  if (typeof m.sizeBytes !== 'number' || !Number.isSafeInteger(m.sizeBytes) || m.sizeBytes < 0)
    fail('sizeBytes', 'a non-negative integer');
  for (const field of ['startedAt', 'finishedAt', 'snapshotAt']) if (!isIso(m[field])) fail(field, 'an ISO-8601 time');
  if (m.rowCounts !== 'exact' && m.rowCounts !== 'off') fail('rowCounts', "'exact' or 'off'");
  if (!Array.isArray(m.tables)) fail('tables', 'an array');
  for (const [index, table] of (m.tables as unknown[]).entries()) {
    const t = table as Record<string, unknown> | null;
    const rowsOk =
      t !== null && (t.rows === null ? m.rowCounts === 'off' : Number.isSafeInteger(t.rows) && (t.rows as number) >= 0);
    if (!t || typeof t.schema !== 'string' || typeof t.name !== 'string' || !rowsOk) {
      fail(
        `tables[${index}]`,
        m.rowCounts === 'exact' ? '{schema, name, rows} with an exact row count' : '{schema, name, rows}',
      );
    }
  }
  if (m.version !== 1) checkVersion2Fields(m, fail);
  checkSizes(m, fail);
  if (m.parts !== undefined) checkParts(m, fail);
  return data as BackupManifest;
}

/** The tables' and materialized views' sizes, where recorded. */
function checkSizes(m: Record<string, unknown>, fail: (field: string, expected: string) => never): void {
  for (const field of ['tables', 'materializedViews']) {
    const items = (Array.isArray(m[field]) ? m[field] : []) as Record<string, unknown>[];
    for (const [index, item] of items.entries()) {
      const size = item.sizeBytes;
      if (size !== undefined && !(Number.isSafeInteger(size) && (size as number) >= 0))
        fail(`${field}[${index}].sizeBytes`, 'a non-negative integer (pg_total_relation_size) when present');
    }
  }
}

const isName = (t: Record<string, unknown> | null): t is Record<string, unknown> =>
  t !== null && typeof t === 'object' && typeof t.schema === 'string' && typeof t.name === 'string';

/** The fields version 2 added: what a restore must bring back besides the tables' rows. */
function checkVersion2Fields(m: Record<string, unknown>, fail: (field: string, expected: string) => never): void {
  const listOf = (field: string, ok: (item: Record<string, unknown>) => boolean, expected: string) => {
    if (!Array.isArray(m[field])) fail(field, 'an array');
    for (const [index, item] of (m[field] as (Record<string, unknown> | null)[]).entries())
      if (!isName(item) || !ok(item)) fail(`${field}[${index}]`, expected);
  };
  listOf('excludedTables', (t) => typeof t.reason === 'string', '{schema, name, reason}');
  listOf(
    'sequences',
    (t) =>
      (t.lastValue === null || (typeof t.lastValue === 'string' && /^-?\d+$/.test(t.lastValue))) &&
      typeof t.ascending === 'boolean',
    '{schema, name, lastValue, ascending}',
  );
  listOf(
    'materializedViews',
    (t) => (t.rows === null ? m.rowCounts === 'off' : Number.isSafeInteger(t.rows) && (t.rows as number) >= 0),
    '{schema, name, rows}',
  );
  if (m.largeObjects !== undefined && !(Number.isSafeInteger(m.largeObjects) && (m.largeObjects as number) >= 0))
    fail('largeObjects', 'a non-negative integer');
}

/** A parallel backup's parts: each at its own key beside the backup, in order, with its size and SHA-256. */
function checkParts(m: Record<string, unknown>, fail: (field: string, expected: string) => never): void {
  if ((m.version as number) < 3) fail('parts', 'absent before version 3');
  if (m.format !== 'custom') fail('parts', "absent: only format 'custom' is dumped in parts");
  if (!Array.isArray(m.parts) || m.parts.length === 0) fail('parts', 'a non-empty array');
  for (const [index, item] of (m.parts as (Record<string, unknown> | null)[]).entries()) {
    const key = partKeyFor(m.key as string, index + 1);
    const ok =
      item !== null &&
      typeof item === 'object' &&
      item.key === key &&
      item.role === 'data' &&
      typeof item.sha256 === 'string' &&
      /^[0-9a-f]{64}$/.test(item.sha256) &&
      Number.isSafeInteger(item.sizeBytes) &&
      (item.sizeBytes as number) >= 0 &&
      Number.isSafeInteger(item.tables);
    if (!ok) fail(`parts[${index}]`, `{key: '${key}', role: 'data', sizeBytes, sha256, tables}`);
  }
}
