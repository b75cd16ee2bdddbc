import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { errorMessage } from '../errors.js';
import { formatDuration } from '../util/format.js';
import type { FailoverContext } from './context.js';
import { describeProbe, probeHealth, type HealthProbe } from '../health/wait.js';
import type { FailoverSettings } from './inputs.js';
import { arnFor, describeRef, parseInstanceRef, sameInstance, type InstanceRef } from '../aws/rds-instance-ref.js';
import { describeInstance, endpointText, listsReplica, TRANSITIONAL_STATUSES, type InstanceState } from '../aws/rds.js';
import { describeRecord, desiredRecordSet, lookupRecord, pointsAt, recordValue } from '../aws/route53-record.js';
import { readReplicaDatabase, type ReplicaDatabaseState, type ReplicationLag } from './replica-database.js';
import { approvedRecordVerdict, currentRecordVerdict, type OldPrimary } from './record-policy.js';
import { recordFingerprint } from '../aws/route53-record-value.js';
import { PROMOTED_AT_TAG, PROMOTED_BY_TAG, PROMOTED_FROM_TAG } from './tags.js';

export type FindingLevel = 'ok' | 'warning' | 'blocker';

export interface Finding {
  check: string;
  finding: string;
  level: FindingLevel;
}

/** One change execute makes, as the plan table shows it. */
export interface PlannedChange {
  change: string;
  before: string;
  after: string;
  state: 'planned' | 'already done';
  /** The execute step that makes the change. */
  step: string;
}

/**
 * - replica: a read replica now;
 * - promoted: standalone, tagged by an earlier run as promoted from its source;
 * - standalone: not a replica, and nothing shows it was ever promoted from one;
 * - missing: RDS does not know it.
 */
export type ReplicaRole = 'replica' | 'promoted' | 'standalone' | 'missing';

export interface SourceFinding {
  ref?: InstanceRef;
  state?: InstanceState;
  /** RDS in the source's region answered (found or not found). */
  reachable: boolean;
  error?: string;
  /** The source is up and, as RDS leaves it after a promotion, writable: the split-brain risk. */
  answers: boolean;
}

export interface RecordFinding {
  zoneName?: string;
  current?: ResourceRecordSet;
  desired?: ResourceRecordSet;
  /** The record as read, in record-value's form; absent when it could not be read as one simple record. */
  value?: string;
  alreadyPointing: boolean;
}

export interface Preflight {
  startedAt: string;
  replica?: InstanceState;
  role: ReplicaRole;
  source: SourceFinding;
  record?: RecordFinding;
  database?: ReplicaDatabaseState;
  health?: HealthProbe;
  /** host:port of the new primary. */
  endpoint?: string;
  findings: Finding[];
  changes: PlannedChange[];
  blockers: string[];
}

/** Statuses of a source that no longer takes connections. */
const SOURCE_DOWN = new Set([
  'stopped',
  'stopping',
  'deleting',
  'failed',
  'inaccessible-encryption-credentials',
  'storage-full',
]);

function roleOf(replica: InstanceState | undefined): ReplicaRole {
  if (!replica) return 'missing';
  if (replica.source) return 'replica';
  return replica.tags[PROMOTED_FROM_TAG] ? 'promoted' : 'standalone';
}

export function describeLag(lag: ReplicationLag | undefined): string {
  if (!lag) return 'not measured (no replica-database-url)';
  if (lag.state === 'measured') return `${formatDuration(lag.seconds)} (${lag.basis})`;
  if (lag.state === 'unknown') return `unknown: ${lag.reason}`;
  return `not applicable: ${lag.reason}`;
}

class Findings {
  readonly list: Finding[] = [];
  add(check: string, level: FindingLevel, finding: string): void {
    this.list.push({ check, level, finding });
  }
  get blockers(): string[] {
    return this.list.filter((f) => f.level === 'blocker').map((f) => `${f.check}: ${f.finding}`);
  }
}

function checkReplica(
  settings: FailoverSettings,
  replica: InstanceState | undefined,
  role: ReplicaRole,
  findings: Findings,
): void {
  const where = `${settings.replicaId} (${settings.region})`;
  if (!replica) {
    findings.add(
      'Replica',
      'blocker',
      `${where} does not exist: check replica-id and region (the replica's region, the secondary)`,
    );
    return;
  }
  const engine = `${replica.engine} ${replica.engineVersion}`;
  if (role === 'standalone') {
    findings.add(
      'Replica',
      'blocker',
      `${where} is not a read replica and has no ${PROMOTED_FROM_TAG} tag, so nothing shows it was promoted from a source. ` +
        `If you promoted it by hand, tag it (aws rds add-tags-to-resource --resource-name ${replica.arn ?? '<its ARN>'} --tags Key=${PROMOTED_FROM_TAG},Value=<source ARN>) and run again`,
    );
  } else if (role === 'promoted') {
    findings.add(
      'Replica',
      'ok',
      `${where} was already promoted from ${replica.tags[PROMOTED_FROM_TAG]} (${replica.tags[PROMOTED_AT_TAG] ?? 'time unknown'}, by ${replica.tags[PROMOTED_BY_TAG] ?? 'an unknown run'}); ${engine}, ${replica.status}`,
    );
  } else {
    findings.add(
      'Replica',
      'ok',
      `${where} is a read replica of ${describeRef(replica.source as InstanceRef)}; ${engine}`,
    );
  }
  if (role !== 'standalone') {
    if (replica.status === 'available') findings.add('Replica status', 'ok', 'available');
    else if (TRANSITIONAL_STATUSES.has(replica.status))
      findings.add(
        'Replica status',
        'warning',
        `${replica.status}: execute waits until it is available (a promotion may be under way)`,
      );
    else
      findings.add(
        'Replica status',
        'blocker',
        `${replica.status}: RDS cannot promote an instance in this state; resolve it in the RDS console first`,
      );
  }
  if (replica.engine.startsWith('aurora')) {
    findings.add(
      'Engine',
      'blocker',
      `${replica.engine} is Aurora: fail over an Aurora global database with aws rds failover-global-cluster, not by promoting an instance`,
    );
  } else if (settings.replicaDatabase && !replica.engine.startsWith('postgres')) {
    findings.add(
      'Engine',
      'blocker',
      `${replica.engine} is not PostgreSQL, but replica-database-url is checked with psql: remove replica-database-url`,
    );
  }
  if (!replica.endpoint) findings.add('Endpoint', 'blocker', `${where} has no endpoint yet (status ${replica.status})`);
}

/** The source from the inputs, else from the replica (or, once promoted, from the tag it was given). */
function resolveSource(
  settings: FailoverSettings,
  replica: InstanceState | undefined,
  findings: Findings,
): InstanceRef | undefined {
  const fromReplica =
    replica?.source ??
    (replica?.tags[PROMOTED_FROM_TAG]
      ? parseInstanceRef(replica.tags[PROMOTED_FROM_TAG] as string, settings.region)
      : undefined);
  if (settings.source && fromReplica && !sameInstance(settings.source, fromReplica)) {
    const relation = replica?.source ? 'replicates from' : 'was promoted from';
    findings.add(
      'Source',
      'blocker',
      `${settings.replicaId} ${relation} ${describeRef(fromReplica)}, not from source-id ${describeRef(settings.source)}: fix source-id or replica-id`,
    );
  }
  const ref = fromReplica ?? settings.source;
  return ref ? { ...ref, arn: arnFor(ref, replica?.arn) } : undefined;
}

async function probeSource(
  ctx: FailoverContext,
  ref: InstanceRef | undefined,
  replica: InstanceState | undefined,
  findings: Findings,
): Promise<SourceFinding> {
  if (!ref) return { reachable: false, answers: false };
  try {
    const state = await describeInstance(ctx.clients.probeRds(ref.region), ref);
    if (!state) {
      findings.add('Source', 'warning', `${describeRef(ref)} does not exist (deleted?)`);
      return { ref, reachable: true, answers: false };
    }
    const answers = !SOURCE_DOWN.has(state.status);
    const lists = replica ? listsReplica(state, replica) : false;
    const risk = answers ? '; it stays writable after promotion: fence it (split-brain risk)' : '';
    findings.add(
      'Source',
      answers ? 'warning' : 'ok',
      `${describeRef(ref)} answers: ${state.status}, endpoint ${endpointText(state) ?? 'none'}${lists ? ', lists the replica' : ''}${risk}`,
    );
    return { ref, state, reachable: true, answers };
  } catch (error) {
    // A regional outage looks exactly like this; it is reported, never a reason to stop.
    findings.add(
      'Source',
      'ok',
      `${describeRef(ref)} is unreachable (${errorMessage(error)}): expected in a regional outage`,
    );
    return { ref, reachable: false, error: errorMessage(error), answers: false };
  }
}

async function checkRecord(
  settings: FailoverSettings,
  ctx: FailoverContext,
  replica: InstanceState | undefined,
  source: SourceFinding,
  findings: Findings,
): Promise<RecordFinding | undefined> {
  const target = settings.record;
  if (!target) {
    findings.add('DNS record', 'ok', 'no hosted-zone-id/record-name given: DNS is not changed');
    return undefined;
  }
  let lookup;
  try {
    lookup = await lookupRecord(ctx.clients.route53, target);
  } catch (error) {
    findings.add(
      'DNS record',
      'blocker',
      `could not read ${target.name} in hosted zone ${target.hostedZoneId}: ${errorMessage(error)}`,
    );
    return { alreadyPointing: false };
  }
  if (!target.name.endsWith(`.${lookup.zoneName}`) && target.name !== lookup.zoneName) {
    findings.add(
      'DNS record',
      'blocker',
      `${target.name} is not in hosted zone ${target.hostedZoneId} (${lookup.zoneName}): fix record-name or hosted-zone-id`,
    );
    return { zoneName: lookup.zoneName, alreadyPointing: false };
  }
  const sameType = lookup.sets.filter((set) => set.Type === target.type);
  const clashing = lookup.sets.filter(
    (set) => set.Type !== target.type && (target.type === 'CNAME' || set.Type === 'CNAME'),
  );
  if (clashing.length) {
    const types = [...new Set(clashing.map((set) => set.Type))].join(', ');
    findings.add(
      'DNS record',
      'blocker',
      `${target.name} has a ${types} record, and a CNAME cannot share a name with other records: set record-type to ${types} if that is the record the application uses`,
    );
    return { zoneName: lookup.zoneName, alreadyPointing: false };
  }
  if (sameType.length > 1 || sameType.some((set) => set.SetIdentifier)) {
    findings.add(
      'DNS record',
      'blocker',
      `${target.name} ${target.type} uses a routing policy (weighted, latency or failover records with a SetIdentifier); failover switches a simple record only`,
    );
    return { zoneName: lookup.zoneName, alreadyPointing: false };
  }
  const current = sameType[0];
  const value = recordFingerprint(current);
  const approved = approvedRecordVerdict(settings.mode, target, settings.expectedRecordValue, current);
  if (approved) findings.add('Approved record', approved.level, approved.finding);
  if (!replica?.endpoint) return { zoneName: lookup.zoneName, current, value, alreadyPointing: false };
  const desired = desiredRecordSet(target, replica.endpoint.address, current);
  const alreadyPointing = pointsAt(current, desired);
  if (!current) {
    findings.add(
      'DNS record',
      'warning',
      `${target.name} ${target.type} does not exist in ${lookup.zoneName}: execute creates it`,
    );
  } else if (alreadyPointing) {
    findings.add('DNS record', 'ok', `${target.name} already points at the new primary: ${describeRecord(current)}`);
  } else {
    const verdict = currentRecordVerdict(target, current, desired, oldPrimaryOf(source));
    findings.add('DNS record', verdict.level, verdict.finding);
  }
  return { zoneName: lookup.zoneName, current, value, desired, alreadyPointing };
}

function oldPrimaryOf(source: SourceFinding): OldPrimary {
  const address = source.state?.endpoint?.address;
  if (address) return { ref: source.ref, address };
  const unknownBecause = !source.ref
    ? 'the source is not known'
    : !source.reachable
      ? `RDS in ${source.ref.region} does not answer`
      : source.state
        ? `${source.ref.id} has no endpoint (${source.state.status})`
        : `${source.ref.id} does not exist`;
  return { ref: source.ref, unknownBecause };
}

async function checkDatabase(
  settings: FailoverSettings,
  ctx: FailoverContext,
  role: ReplicaRole,
  findings: Findings,
): Promise<ReplicaDatabaseState | undefined> {
  if (!settings.replicaDatabase || !ctx.psqlPath) {
    findings.add(
      'Replication lag',
      'warning',
      'not measured: give replica-database-url to measure lag and prove the new primary takes writes',
    );
    return undefined;
  }
  const display = settings.replicaDatabase.display;
  let state: ReplicaDatabaseState;
  try {
    state = await readReplicaDatabase(settings.replicaDatabase, ctx.psqlPath);
  } catch (error) {
    findings.add(
      'Replica database',
      'blocker',
      `could not query ${display}: ${errorMessage(error)}. Fix replica-database-url (or remove it) before promoting`,
    );
    return undefined;
  }
  findings.add(
    'Replica database',
    'ok',
    `${display}: PostgreSQL ${state.serverVersion}, pg_is_in_recovery() ${state.inRecovery}${state.replayPaused ? ', replay paused' : ''}`,
  );
  if (role === 'replica' && !state.inRecovery) {
    findings.add(
      'Replica database',
      'blocker',
      `${display} is not in recovery, but ${settings.replicaId} is still a read replica: replica-database-url names another server (the primary?)`,
    );
  }
  if (role === 'promoted' && state.inRecovery) {
    findings.add(
      'Replica database',
      'warning',
      `${display} is still in recovery although RDS reports ${settings.replicaId} promoted: execute waits for it to leave recovery`,
    );
  }
  const lag = state.lag;
  if (lag.state === 'measured') {
    const over = lag.seconds > settings.maxLagSeconds;
    const verdict = over
      ? settings.acceptDataLoss
        ? `more than max-lag-seconds (${settings.maxLagSeconds} s), accepted with accept-data-loss: true`
        : `more than max-lag-seconds (${settings.maxLagSeconds} s, the plan's RPO): promoting now loses that much data; wait for the replica to catch up, or set accept-data-loss: true`
      : `within max-lag-seconds (${settings.maxLagSeconds} s)`;
    findings.add(
      'Replication lag',
      over && !settings.acceptDataLoss ? 'blocker' : over ? 'warning' : 'ok',
      `${describeLag(lag)}: ${verdict}`,
    );
  } else if (lag.state === 'unknown') {
    findings.add('Replication lag', 'warning', describeLag(lag));
  } else {
    findings.add('Replication lag', 'ok', describeLag(lag));
  }
  return state;
}

async function checkHealth(settings: FailoverSettings, findings: Findings): Promise<HealthProbe | undefined> {
  if (!settings.health) return undefined;
  const probe = await probeHealth(settings.health);
  const healthy = probe.status === settings.health.expectStatus;
  findings.add(
    'Health',
    healthy ? 'ok' : 'warning',
    `${settings.health.display} answers ${describeProbe(probe)} now (expected ${settings.health.expectStatus} after the switch)`,
  );
  return probe;
}

function plannedChanges(
  settings: FailoverSettings,
  preflight: Omit<Preflight, 'changes' | 'blockers' | 'findings'>,
): PlannedChange[] {
  const changes: PlannedChange[] = [];
  const { replica, role, source } = preflight;
  const where = `${settings.replicaId} (${settings.region})`;
  const sourceText = source.ref ? describeRef(source.ref) : 'its source';
  if (role === 'promoted') {
    changes.push({
      change: `Promote ${where}`,
      before: `promoted from ${replica?.tags[PROMOTED_FROM_TAG] ?? sourceText}`,
      after: 'standalone primary (no change)',
      state: 'already done',
      step: 'promote replica',
    });
  } else {
    changes.push({
      change: `Tag ${where}`,
      before: replica?.tags[PROMOTED_FROM_TAG]
        ? `${PROMOTED_FROM_TAG}=${replica.tags[PROMOTED_FROM_TAG]} (an earlier attempt)`
        : 'no tag',
      after: `${PROMOTED_FROM_TAG}=${source.ref?.arn ?? source.ref?.id ?? '?'}`,
      state: 'planned',
      step: 'promote replica',
    });
    changes.push({
      change: `Promote ${where} (PromoteReadReplica)`,
      before: `read replica of ${sourceText}, ${replica?.status ?? 'unknown'}`,
      after: 'standalone primary, available, writable',
      state: 'planned',
      step: 'promote replica',
    });
  }
  if (settings.replicaDatabase) {
    changes.push({
      change: `Canary write on ${settings.replicaDatabase.display}`,
      before: preflight.database ? `pg_is_in_recovery() ${preflight.database.inRecovery}` : 'not queried',
      after: 'out of recovery; a scratch table created, a row committed, the table dropped',
      state: 'planned',
      step: 'prove writable',
    });
  }
  const record = preflight.record;
  if (settings.record && record?.desired) {
    changes.push({
      change: `Route 53 ${settings.record.name} ${settings.record.type} (zone ${settings.record.hostedZoneId}), then wait for INSYNC`,
      before: record.current ? describeRecord(record.current) : 'no record',
      after: describeRecord(record.desired),
      state: record.alreadyPointing ? 'already done' : 'planned',
      step: 'switch DNS record',
    });
  }
  if (settings.health) {
    changes.push({
      change: `Poll ${settings.health.display} (up to ${formatDuration(settings.health.timeoutSeconds)})`,
      before: preflight.health ? describeProbe(preflight.health) : 'not probed',
      after: `HTTP ${settings.health.expectStatus}`,
      state: 'planned',
      step: 'health check',
    });
  }
  return changes;
}

/** Everything execute depends on, read without changing anything. Unreachable sources are findings, not failures. */
export async function runPreflight(settings: FailoverSettings, ctx: FailoverContext): Promise<Preflight> {
  const startedAt = new Date().toISOString();
  const findings = new Findings();
  const replica = await describeInstance(ctx.clients.rds, { id: settings.replicaId, region: settings.region });
  const role = roleOf(replica);
  checkReplica(settings, replica, role, findings);
  const sourceRef = resolveSource(settings, replica, findings);
  const source = await probeSource(ctx, sourceRef, replica, findings);
  const record = await checkRecord(settings, ctx, replica, source, findings);
  const database =
    role === 'missing' || role === 'standalone' ? undefined : await checkDatabase(settings, ctx, role, findings);
  const health = await checkHealth(settings, findings);
  const partial = { startedAt, replica, role, source, record, database, health, endpoint: endpointText(replica) };
  return {
    ...partial,
    findings: findings.list,
    changes: plannedChanges(settings, partial),
    blockers: findings.blockers,
  };
}

/** The record's value before this run changes it; empty when it already points at the new primary. */
export function previousRecordValue(preflight: Preflight): string {
  const record = preflight.record;
  return record?.current && !record.alreadyPointing ? recordValue(record.current) : '';
}
