import type { SnapshotState } from '../aws/rds-snapshots.js';
import { MADE_BY_TAG } from './tags.js';

/** Snapshots this mode makes carry these tags; a copy made with --copy-tags carries them too, so they alone prove nothing. */
export const SNAPSHOT_MADE_BY = 'rds-restore-test hourly-snapshot';
export const SNAPSHOT_OF_TAG = 'dr-actions:snapshot-of';

/** Where retention looks: the instance's source region, or (copiedFromRegion set) the copy region, whose snapshots of the mode are copies from there. */
export interface SnapshotPlace {
  instanceId: string;
  copiedFromRegion?: string;
}

/** `<instance>-dr-<yyyymmdd>-<hhmmss>` (UTC): sorts by time, and a re-run gets its own. */
export function snapshotId(instanceId: string, now: Date): string {
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  return `${instanceId.slice(0, 200)}-dr-${stamp.slice(0, 8)}-${stamp.slice(8)}`;
}

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when the id is one snapshotId gives for the instance (RDS stores identifiers in lower case). */
export function followsNamingScheme(id: string, instanceId: string): boolean {
  return new RegExp(`^${escaped(instanceId.slice(0, 200).toLowerCase())}-dr-\\d{8}-\\d{6}$`).test(id.toLowerCase());
}

/** `arn:<partition>:rds:<region>:<account>:snapshot:<id>` split into what matters here. */
function snapshotArnParts(arn: string): { region: string; id: string } | undefined {
  const match = /^arn:[a-z-]+:rds:([a-z0-9-]+):\d{12}:snapshot:(.+)$/.exec(arn);
  return match ? { region: match[1] as string, id: (match[2] as string).toLowerCase() } : undefined;
}

/**
 * Whether this mode made the snapshot, so that retention may delete it. Every sign must hold:
 * a manual snapshot, both tags naming the instance, the mode's naming scheme, and its origin: in
 * the source region a snapshot taken there (not a copy from elsewhere); in the copy region a copy
 * of the source region's snapshot of the same name. A person's copy keeps the tags but has a name
 * of its own; a snapshot named like the mode's without its tags is someone else's too.
 */
export function madeByThisMode(snapshot: SnapshotState, place: SnapshotPlace): boolean {
  const tagged = snapshot.tags[MADE_BY_TAG] === SNAPSHOT_MADE_BY && snapshot.tags[SNAPSHOT_OF_TAG] === place.instanceId;
  if (snapshot.type !== 'manual' || !tagged || !followsNamingScheme(snapshot.id, place.instanceId)) return false;
  const source = snapshot.copiedFrom ? snapshotArnParts(snapshot.copiedFrom) : undefined;
  if (!place.copiedFromRegion) return snapshot.copiedFrom === undefined;
  return source !== undefined && source.region === place.copiedFromRegion && source.id === snapshot.id.toLowerCase();
}
