import { displayName, type TableName } from '../postgres/identifiers.js';
import type { PsqlSession } from '../postgres/psql-session.js';
import {
  countLargeObjects,
  materializedViews,
  refreshMaterializedViews,
  sequenceValues,
} from '../postgres/restore-facts.js';
import { countRows } from '../postgres/row-counts.js';
import type { BackupManifest } from '../storage/manifest.js';

const key = (t: TableName) => JSON.stringify([t.schema, t.name]);

/** Whether a restored sequence is at or beyond the snapshot's value (pg_dump reads sequences after the snapshot: they are not transactional). */
function notBehind(restored: bigint, recorded: bigint, ascending: boolean): boolean {
  return ascending ? restored >= recorded : restored <= recorded;
}

async function sequenceDifferences(session: PsqlSession, manifest: BackupManifest): Promise<string[]> {
  const recorded = manifest.sequences ?? [];
  if (recorded.length === 0) return [];
  const restored = new Map((await sequenceValues(session)).map((s) => [key(s), s]));
  return recorded.flatMap((s) => {
    const now = restored.get(key(s));
    if (!now) return [`sequence ${displayName(s)} is missing`];
    if (s.lastValue === null) return [];
    // A sequence that starts over can wrap between the snapshot and pg_dump's read of it: any value it has set is as good.
    if (now.cycles && now.lastValue !== null) return [];
    if (now.lastValue === null || !notBehind(BigInt(now.lastValue), BigInt(s.lastValue), s.ascending)) {
      return [
        `sequence ${displayName(s)} is at ${now.lastValue ?? 'its start (never used)'}, behind the manifest's ${s.lastValue}`,
      ];
    }
    return [];
  });
}

/** Materialized views are refreshed first, as the restore did, so their rows come from the restored tables. */
async function materializedViewDifferences(session: PsqlSession, manifest: BackupManifest): Promise<string[]> {
  const recorded = manifest.materializedViews ?? [];
  if (recorded.length === 0) return [];
  const present = new Set((await materializedViews(session)).map(key));
  const found = recorded.filter((v) => present.has(key(v)));
  await refreshMaterializedViews(session, found);
  const counted = new Map((await countRows(session, found)).map((v) => [key(v), v.rows]));
  return recorded.flatMap((v) => {
    const restoredRows = counted.get(key(v));
    if (restoredRows === undefined) return [`materialized view ${displayName(v)} is missing`];
    if (v.rows !== null && v.rows !== restoredRows)
      return [
        `materialized view ${displayName(v)} has ${restoredRows} rows after its refresh, the manifest says ${v.rows}`,
      ];
    return [];
  });
}

export interface ObjectsVerification {
  differences: string[];
  /** What matched, for the step's detail; empty when the manifest records nothing beyond tables. */
  matched: string;
}

/**
 * Beyond the tables' rows: the large objects, the sequences and the materialized views that the
 * manifest (version 2) records must be in the restored database as recorded.
 */
export async function verifyRestoredObjects(
  session: PsqlSession,
  manifest: BackupManifest,
): Promise<ObjectsVerification> {
  const differences: string[] = [];
  if (manifest.largeObjects !== undefined) {
    const restored = await countLargeObjects(session);
    if (restored !== manifest.largeObjects)
      differences.push(`${restored} large objects were restored, the manifest says ${manifest.largeObjects}`);
  }
  differences.push(
    ...(await sequenceDifferences(session, manifest)),
    ...(await materializedViewDifferences(session, manifest)),
  );
  const counted: [number, string][] = [
    [manifest.sequences?.length ?? 0, 'sequences'],
    [manifest.materializedViews?.length ?? 0, 'materialized views'],
    [manifest.largeObjects ?? 0, 'large objects'],
  ];
  const parts = counted.filter(([count]) => count > 0).map(([count, what]) => `${count} ${what}`);
  return { differences, matched: parts.length ? `${parts.join(', ')} as recorded` : '' };
}
