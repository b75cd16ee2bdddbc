import type { RDSClient } from '@aws-sdk/client-rds';
import type { Route53Client } from '@aws-sdk/client-route-53';
import { describeSelector } from '../aws/rds-recovery-point.js';
import { findRecoveryPoints, resolveRecoveryPoint, type ResolvedPoint } from '../aws/rds-recovery-points.js';
import { listSnapshots } from '../aws/rds-snapshots.js';
import { describeInstance, type InstanceState } from '../aws/rds.js';
import { ConfigurationError } from '../errors.js';
import { secondsBetween } from '../util/format.js';
import type { RecoveryBase } from './context.js';
import type { RdsRecoverySettings } from './rds-inputs.js';
import { damagedId, restoredFor, restoredId, TAG } from './rds-journal.js';
import { readRecord, recordPointsAt, refuseOtherRecord, type RecordPlan } from './rds-record.js';

/** What an RDS recovery's run shares: the run without a backup store, the RDS client and the source. */
export interface RdsRun extends RecoveryBase {
  client: RDSClient;
  /** cutover: dns only. */
  route53?: Route53Client;
  rds: RdsRecoverySettings;
}

/**
 * Where an RDS recovery stands, read from the instances and their tags:
 * fresh (nothing started), restored (the restored instance exists, production untouched),
 * half-renamed (the damaged instance has its dated identifier, the restored one not yet the
 * production one), renamed (both renamed, or with cutover: dns the record moved; the
 * application's steps are left), done.
 */
export type RdsPhase = 'fresh' | 'restored' | 'half-renamed' | 'renamed' | 'done';

export interface RdsRecoveryPlan {
  phase: RdsPhase;
  /** expected-recovery-point's value: the ISO time (point in time) or the snapshot identifier. */
  binding: string;
  time: Date;
  /** How to restore it; absent once the restore was done by an earlier run. */
  point?: ResolvedPoint;
  /** The damaged instance (under the production identifier or, once renamed, under keptAs). */
  damaged?: InstanceState;
  restoredId: string;
  keptAs: string;
  /** The damaged instance's DbiResourceId. */
  replaces: string;
  /** cutover: dns: the record as read before any change. */
  record?: RecordPlan;
  /** cutover: dns, once the record moved: the restored instance's endpoint address. */
  restoredAddress?: string;
  /** Plan mode: the session of a run at work on this recovery now (it holds the claim on the restored instance). */
  heldBy?: string;
}

const pitr = (run: RdsRun) => run.settings.source === 'rds-point-in-time';

/** The binding the inputs fix without AWS: a time or a snapshot named; undefined for latest. */
function fixedBinding(run: RdsRun): string | undefined {
  const selector = run.rds.recoveryPoint;
  if (selector.kind === 'time') return selector.time.toISOString();
  if (selector.kind === 'snapshot') return selector.id;
  return undefined;
}

function refuseOtherPoint(run: RdsRun, would: string, why: string): never {
  throw new ConfigurationError(
    `expected-recovery-point is ${run.settings.expectedRecoveryPoint}, but this run would restore ${would} (${why}), so nothing was changed: run the plan again and review it, or set recovery-point to ${run.settings.expectedRecoveryPoint}`,
  );
}

/** latest, bound: execute restores exactly the time the reviewers saw, while it is still in the restore window. */
function boundLatest(run: RdsRun, point: ResolvedPoint): ResolvedPoint {
  const expected = run.settings.expectedRecoveryPoint;
  if (run.settings.mode !== 'execute' || !expected || point.mechanism !== 'point-in-time') return point;
  const time = new Date(expected);
  if (Number.isNaN(time.getTime()) || time < point.window.earliest || time > point.window.latest) {
    refuseOtherPoint(
      run,
      point.time.toISOString(),
      `the restore window is ${point.window.earliest.toISOString()} to ${point.window.latest.toISOString()}`,
    );
  }
  return { ...point, time, request: time, label: `point in time ${time.toISOString()} (latest when planned)` };
}

/** Resolves the recovery point against what RDS offers for the damaged instance now. */
async function resolvePoint(run: RdsRun): Promise<{ point: ResolvedPoint; binding: string }> {
  const query = {
    instanceId: run.rds.instanceId,
    sourceRegion: run.settings.aws.region,
    region: run.settings.aws.region,
    client: run.client,
    sourceClient: run.client,
  };
  const resolved = await resolveRecoveryPoint(run.rds.recoveryPoint, await findRecoveryPoints(query), query);
  const point = run.rds.recoveryPoint.kind === 'latest' ? boundLatest(run, resolved) : resolved;
  const binding = point.mechanism === 'snapshot' ? point.snapshot.id : point.time.toISOString();
  const expected = run.settings.expectedRecoveryPoint;
  if (run.settings.mode === 'execute' && expected !== binding) refuseOtherPoint(run, binding, point.label);
  return { point, binding };
}

/** The recovery point of a recovery under way, from the binding alone (the damaged instance may be renamed). */
async function pointOfBinding(run: RdsRun, binding: string): Promise<Date> {
  if (pitr(run)) return new Date(binding);
  const [snapshot] = await listSnapshots(run.client, { snapshotId: binding });
  if (!snapshot?.dataAt)
    throw new ConfigurationError(
      `recovery-point: there is no available DB snapshot '${binding}' in ${run.settings.aws.region}`,
    );
  return snapshot.dataAt;
}

/** Production holds a restored instance of this recovery: the renames are done. */
function afterRenames(run: RdsRun, production: InstanceState, binding: string, time: Date): RdsRecoveryPlan {
  const tags = production.tags;
  return {
    phase: tags[TAG.state] === 'complete' ? 'done' : 'renamed',
    binding,
    time,
    restoredId: restoredId(run.rds.instanceId, time),
    keptAs: tags[TAG.keptAs] ?? '',
    replaces: tags[TAG.replaces] ?? '',
  };
}

/** The binding a re-run is held to: expected-recovery-point, else what the inputs name. */
const hint = (run: RdsRun) => run.settings.expectedRecoveryPoint ?? fixedBinding(run);

/**
 * Reads where the recovery stands and what execute would restore; changes nothing. Refuses
 * (ConfigurationError) what execute must not do: another recovery point than the plan's, an
 * instance in the way that this recovery did not make.
 */
export async function planRdsRecovery(run: RdsRun): Promise<RdsRecoveryPlan> {
  const id = run.rds.instanceId;
  const region = run.settings.aws.region;
  const fixed = fixedBinding(run);
  const expected = run.settings.expectedRecoveryPoint;
  if (fixed && expected && fixed !== expected)
    refuseOtherPoint(run, fixed, `recovery-point ${describeSelector(run.rds.recoveryPoint)}`);
  const production = await describeInstance(run.client, { id, region });
  const bound = hint(run);
  const record = run.rds.cutover === 'dns' ? await readRecord(run.route53, run.rds.record) : undefined;
  if (record) {
    if (!production)
      throw new ConfigurationError(
        `instance-id: there is no DB instance '${id}' in ${region}; check instance-id and region`,
      );
    const switched = await afterRecordMoved(run, production, record, bound);
    if (switched) return switched;
  } else if (production && bound && restoredFor(production, id) && production.tags[TAG.recoveryPoint] === bound) {
    return afterRenames(run, production, bound, await pointOfBinding(run, bound));
  }
  if (!production) return halfRenamed(run, bound);
  if (record)
    refuseOtherRecord(record, production, run.settings.mode === 'execute' ? run.rds.expectedRecordValue : undefined);
  const { point, binding } = await resolvePoint(run);
  const restored = restoredId(id, point.time);
  const existing = await describeInstance(run.client, { id: restored, region });
  const replaces = production.resourceId ?? production.arn ?? id;
  if (
    existing &&
    !(
      restoredFor(existing, id) &&
      existing.tags[TAG.replaces] === replaces &&
      existing.tags[TAG.recoveryPoint] === binding
    )
  ) {
    throw new ConfigurationError(
      `an instance named ${restored} already exists in ${region} and was not restored by this recovery of ${id} (its ${TAG.madeBy}, ${TAG.replaces} and ${TAG.recoveryPoint} tags do not match), so nothing was changed: rename or remove it, or choose another recovery-point`,
    );
  }
  // cutover: dns leaves the damaged instance its identifier.
  const keptAs = record ? id : (existing?.tags[TAG.keptAs] ?? damagedId(id, run.now()));
  return {
    phase: existing ? 'restored' : 'fresh',
    binding,
    time: point.time,
    point,
    damaged: production,
    restoredId: restored,
    keptAs,
    replaces,
    ...(record ? { record } : {}),
  };
}

/** cutover: dns: the record already sends clients to the instance this recovery restored: the cut-over is done. */
async function afterRecordMoved(
  run: RdsRun,
  production: InstanceState,
  record: RecordPlan,
  bound: string | undefined,
): Promise<RdsRecoveryPlan | undefined> {
  if (!bound) return undefined;
  const id = run.rds.instanceId;
  const time = await pointOfBinding(run, bound);
  const restored = await describeInstance(run.client, { id: restoredId(id, time), region: run.settings.aws.region });
  if (!restored || !restoredFor(restored, id) || restored.tags[TAG.recoveryPoint] !== bound) return undefined;
  if (!recordPointsAt(record, restored)) return undefined;
  return {
    phase: restored.tags[TAG.state] === 'complete' ? 'done' : 'renamed',
    binding: bound,
    time,
    damaged: production,
    restoredId: restored.id,
    keptAs: id,
    replaces: restored.tags[TAG.replaces] ?? '',
    record,
    restoredAddress: restored.endpoint?.address,
  };
}

/** No instance under the production identifier: an earlier run renamed the damaged one away, or instance-id is wrong. */
async function halfRenamed(run: RdsRun, bound: string | undefined): Promise<RdsRecoveryPlan> {
  const id = run.rds.instanceId;
  const region = run.settings.aws.region;
  const missing = `there is no DB instance '${id}' in ${region}`;
  if (!bound) throw new ConfigurationError(`instance-id: ${missing}; check instance-id and region`);
  const time = await pointOfBinding(run, bound);
  const restored = await describeInstance(run.client, { id: restoredId(id, time), region });
  if (!restored || !restoredFor(restored, id) || restored.tags[TAG.recoveryPoint] !== bound) {
    throw new ConfigurationError(
      `instance-id: ${missing}, and no instance restored by this recovery (recovery point ${bound}) waits to take its place; check instance-id and region`,
    );
  }
  const keptAs = restored.tags[TAG.keptAs] ?? '';
  const damaged = await describeInstance(run.client, { id: keptAs, region });
  if (!damaged || (damaged.resourceId ?? damaged.arn) !== restored.tags[TAG.replaces]) {
    throw new ConfigurationError(
      `${missing}: ${restored.id} is restored, but the damaged instance is not under ${keptAs} either; find it (aws rds describe-db-instances) before running again: nothing was changed`,
    );
  }
  return {
    phase: 'half-renamed',
    binding: bound,
    time,
    damaged,
    restoredId: restored.id,
    keptAs,
    replaces: restored.tags[TAG.replaces] ?? '',
  };
}

/** The report's view of the plan. */
export function recordRdsPlan(run: RdsRun, plan: RdsRecoveryPlan): void {
  const { details } = run;
  const point = plan.point;
  Object.assign(details, {
    recoveryPoint: plan.binding,
    phase: plan.phase,
    replaces: plan.replaces,
    restoredAs: plan.restoredId,
    keptAs: plan.keptAs,
    ...(plan.record ? { recordValue: plan.record.value } : {}),
  });
  if (details.rds) {
    details.rds.recoveryPoint = {
      mechanism: pitr(run) ? 'point-in-time' : 'snapshot',
      time: plan.time.toISOString(),
      label: point?.label ?? `${plan.binding} (restored by an earlier run)`,
      ...(pitr(run) ? {} : { snapshotId: plan.binding }),
    };
    details.rds.restored.id = plan.restoredId;
    details.rds.damagedDeletionProtection = plan.damaged?.deletionProtection;
  }
  if (['fresh', 'restored'].includes(plan.phase))
    details.loss = {
      recoveryPoint: plan.time.toISOString(),
      seconds: secondsBetween(plan.time, run.now()),
      tables: [],
    };
}
