import { MANIFEST_VERSION, type BackupManifest } from '../src/storage/manifest.js';

/** A manifest with the fields selection and RPO read; the rest plausible. */
export function manifestFor(
  key: string,
  times: { finishedAt: Date; snapshotAt?: Date },
  tables: BackupManifest['tables'] = [],
  bucket = 'b',
): BackupManifest {
  const snapshotAt = times.snapshotAt ?? new Date(times.finishedAt.getTime() - 60_000);
  return {
    version: MANIFEST_VERSION,
    tool: { name: 'dr-actions', version: '0.1.0' },
    bucket,
    key,
    database: 'saas_production',
    server: { version: '15.18', versionNum: 150018 },
    pgDump: { version: '15.18' },
    format: key.endsWith('.dump') ? 'custom' : 'plain',
    compression: 'gzip:1',
    startedAt: snapshotAt.toISOString(),
    finishedAt: times.finishedAt.toISOString(),
    snapshotAt: snapshotAt.toISOString(),
    sizeBytes: 1,
    sha256: '0'.repeat(64),
    databaseSizeBytes: 1,
    rowCounts: 'exact',
    tables,
    excludedTables: [],
    sequences: [],
    materializedViews: [],
    pgDumpArgs: [],
    run: {},
  };
}
