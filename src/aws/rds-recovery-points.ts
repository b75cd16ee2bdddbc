import type { RDSClient } from '@aws-sdk/client-rds';
import { describeAutomatedBackups, type PointInTimeSource } from './rds-recovery.js';
import { listSnapshots, type SnapshotState } from './rds-snapshots.js';
import { describeInstance } from './rds.js';
import { ConfigurationError } from '../errors.js';
import { DAY_MS } from '../util/time.js';
import type { RecoveryPointSelector } from './rds-recovery-point.js';

/** The continuous stretch a point-in-time restore can reach. */
export interface RestoreWindow {
  earliest: Date;
  latest: Date;
}

/** What the region holds of the instance: its point-in-time window (own or replicated backups) and its snapshots. */
export interface RecoveryPoints {
  pointInTime?: { source: PointInTimeSource; window: RestoreWindow; retentionDays: number };
  /** Available snapshots, newest first. */
  snapshots: (SnapshotState & { dataAt: Date })[];
}

export type ResolvedPoint =
  | {
      mechanism: 'point-in-time';
      time: Date;
      request: Date | 'latest';
      source: PointInTimeSource;
      window: RestoreWindow;
      label: string;
    }
  | { mechanism: 'snapshot'; time: Date; snapshot: SnapshotState; label: string };

export interface PointsQuery {
  instanceId: string;
  sourceRegion: string;
  region: string;
  /** Clients of the region restored in and of the source's region (the same one when they are equal). */
  client: RDSClient;
  sourceClient: RDSClient;
}

async function pointInTimeHere(query: PointsQuery): Promise<RecoveryPoints['pointInTime']> {
  const { instanceId, region, sourceRegion, client } = query;
  const backups = (await describeAutomatedBackups(client, instanceId)).filter(
    (b) => b.sourceRegion === sourceRegion && b.status !== 'retained',
  );
  if (region === sourceRegion) {
    const instance = await describeInstance(query.sourceClient, { id: instanceId, region: sourceRegion });
    if (!instance)
      throw new ConfigurationError(
        `instance-id: there is no DB instance '${instanceId}' in ${sourceRegion}; check instance-id and source-region`,
      );
    const retentionDays = instance.backupRetentionDays ?? 0;
    if (retentionDays === 0 || !instance.latestRestorableTime) return undefined;
    const own = backups[0];
    const latest = instance.latestRestorableTime;
    const fallback = new Date(Math.max(instance.createdAt?.getTime() ?? 0, latest.getTime() - retentionDays * DAY_MS));
    return { source: { instanceId }, window: { earliest: own?.earliest ?? fallback, latest }, retentionDays };
  }
  const replicated = backups.find((b) => b.earliest && b.latest && b.arn);
  if (!replicated) return undefined;
  return {
    source: { automatedBackupsArn: replicated.arn },
    window: { earliest: replicated.earliest as Date, latest: replicated.latest as Date },
    retentionDays: replicated.retentionDays,
  };
}

/** Every recovery point the region offers for the instance. */
export async function findRecoveryPoints(query: PointsQuery): Promise<RecoveryPoints> {
  const [pointInTime, snapshots] = await Promise.all([
    pointInTimeHere(query),
    listSnapshots(query.client, { instanceId: query.instanceId }),
  ]);
  const usable = snapshots
    .filter((s): s is SnapshotState & { dataAt: Date } => s.status === 'available' && s.dataAt !== undefined)
    .sort((a, b) => b.dataAt.getTime() - a.dataAt.getTime());
  return { pointInTime, snapshots: usable };
}

function noPointInTime(query: PointsQuery, asked: string): ConfigurationError {
  const where =
    query.region === query.sourceRegion
      ? `${query.instanceId} in ${query.region} has no automated backups (backup retention 0)`
      : `${query.region} holds no replicated automated backups of ${query.instanceId} (${query.sourceRegion}); start them with aws rds start-db-instance-automated-backups-replication --region ${query.region} --source-db-instance-arn <ARN of ${query.instanceId}>`;
  return new ConfigurationError(
    `recovery-point ${asked} needs a point-in-time window: ${where}; or restore a snapshot (recovery-point: snapshot)`,
  );
}

/** The recovery point the selector names, or a ConfigurationError that says what the region offers instead. */
export async function resolveRecoveryPoint(
  selector: RecoveryPointSelector,
  points: RecoveryPoints,
  query: PointsQuery,
): Promise<ResolvedPoint> {
  const pitr = points.pointInTime;
  switch (selector.kind) {
    case 'latest':
      if (!pitr) throw noPointInTime(query, 'latest');
      return {
        mechanism: 'point-in-time',
        time: pitr.window.latest,
        request: 'latest',
        source: pitr.source,
        window: pitr.window,
        label: `latest restorable time ${pitr.window.latest.toISOString()}`,
      };
    case 'time': {
      if (!pitr) throw noPointInTime(query, selector.time.toISOString());
      const { earliest, latest } = pitr.window;
      if (selector.time < earliest || selector.time > latest) {
        throw new ConfigurationError(
          `recovery-point ${selector.time.toISOString()} is outside the restore window of ${query.instanceId} in ${query.region}: choose a time from ${earliest.toISOString()} to ${latest.toISOString()} (backup retention ${pitr.retentionDays} days), or latest`,
        );
      }
      return {
        mechanism: 'point-in-time',
        time: selector.time,
        request: selector.time,
        source: pitr.source,
        window: pitr.window,
        label: `point in time ${selector.time.toISOString()}`,
      };
    }
    case 'newest-snapshot': {
      const newest = points.snapshots[0];
      if (!newest)
        throw new ConfigurationError(
          `recovery-point snapshot: ${query.region} holds no available snapshot of ${query.instanceId}; take one (mode: snapshot) or use latest`,
        );
      return {
        mechanism: 'snapshot',
        time: newest.dataAt,
        snapshot: newest,
        label: `newest snapshot ${newest.id} (${newest.type}, data from ${newest.dataAt.toISOString()})`,
      };
    }
    case 'snapshot':
      return resolveNamedSnapshot(query.client, selector.id, query.region);
  }
}

/** snapshot:<id>: the snapshot, available, in the region restored in. */
async function resolveNamedSnapshot(client: RDSClient, id: string, region: string): Promise<ResolvedPoint> {
  const [snapshot] = await listSnapshots(client, { snapshotId: id });
  if (!snapshot)
    throw new ConfigurationError(
      `recovery-point snapshot:${id}: there is no DB snapshot '${id}' in ${region}; list them with aws rds describe-db-snapshots --region ${region}`,
    );
  if (snapshot.status !== 'available' || !snapshot.dataAt)
    throw new ConfigurationError(
      `recovery-point snapshot:${id} is ${snapshot.status}, not available; wait for it or choose another`,
    );
  return {
    mechanism: 'snapshot',
    time: snapshot.dataAt,
    snapshot,
    label: `snapshot ${snapshot.id} (${snapshot.type}, data from ${snapshot.dataAt.toISOString()})`,
  };
}
