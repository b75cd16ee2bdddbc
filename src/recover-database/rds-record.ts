import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { InstanceState } from '../aws/rds.js';
import {
  compareAndSwapCommand,
  describeRecord,
  desiredRecordSet,
  lookupRecord,
  pointsAt,
  type RecordTarget,
} from '../aws/route53-record.js';
import { recordFingerprint } from '../aws/route53-record-value.js';
import { bareDnsName } from '../aws/dns-names.js';
import { ConfigurationError } from '../errors.js';
import type { RdsRecoverySettings } from './rds-inputs.js';
import type { Route53Client } from '@aws-sdk/client-route-53';

/** cutover: dns: the CNAME as this run read it, before any change. */
export interface RecordPlan {
  /** The record to write: a CNAME with the TTL it has now. */
  target: RecordTarget;
  current: ResourceRecordSet;
  /** The record in record-value's form: what expected-record-value must equal. */
  value: string;
}

/**
 * Reads the CNAME that cutover: dns moves. Refuses a name without a CNAME, or with a routing
 * policy (weighted, failover...): one record set is what a compare-and-swap replaces.
 */
export async function readRecord(
  client: Route53Client | undefined,
  record: RdsRecoverySettings['record'],
): Promise<RecordPlan> {
  if (!client || !record) throw new Error('cutover: dns without its hosted zone and record');
  const base: RecordTarget = { hostedZoneId: record.hostedZoneId, name: record.name, type: 'CNAME', ttl: 60 };
  const lookup = await lookupRecord(client, base);
  const where = `${bareDnsName(record.name)} in hosted zone ${record.hostedZoneId} (${lookup.zoneName})`;
  if (!record.name.endsWith(`.${lookup.zoneName}`))
    throw new ConfigurationError(
      `record-name: ${bareDnsName(record.name)} is not in hosted zone ${record.hostedZoneId} (${lookup.zoneName}); check record-name and hosted-zone-id`,
    );
  const cnames = lookup.sets.filter((set) => set.Type === 'CNAME');
  const current = cnames[0];
  if (!current) {
    const others = lookup.sets.map((set) => set.Type).join(', ');
    throw new ConfigurationError(
      `record-name: there is no CNAME ${where}${others ? ` (it holds ${others})` : ''}; cutover: dns moves the CNAME the application finds the database by from the damaged instance's endpoint to the restored one`,
    );
  }
  if (cnames.length > 1 || current.SetIdentifier || current.AliasTarget)
    throw new ConfigurationError(
      `record-name: ${where} has a routing policy (${cnames.length} CNAME record sets): cutover: dns moves one simple CNAME; move this one by hand or use cutover: rename`,
    );
  return { target: { ...base, ttl: current.TTL ?? 60 }, current, value: recordFingerprint(current) };
}

/** The record as it is once it sends clients to `address`. */
export const movedTo = (plan: RecordPlan, address: string) => desiredRecordSet(plan.target, address, plan.current);

/** True when the record sends clients to `instance`'s endpoint. */
export function recordPointsAt(plan: RecordPlan, instance: InstanceState | undefined): boolean {
  const address = instance?.endpoint?.address;
  return Boolean(address) && pointsAt(plan.current, movedTo(plan, address as string));
}

/** Before any change: the record is where the plan saw it, and it sends clients to the damaged instance. */
export function refuseOtherRecord(plan: RecordPlan, damaged: InstanceState, expected: string | undefined): void {
  if (expected !== undefined && expected !== plan.value)
    throw new ConfigurationError(
      `${bareDnsName(plan.target.name)} CNAME holds ${plan.value}, but the approved plan saw ${expected} (expected-record-value): it changed after the plan was reviewed, so nothing was changed. Find out who changed it, then run the plan again`,
    );
  if (!recordPointsAt(plan, damaged))
    throw new ConfigurationError(
      `${bareDnsName(plan.target.name)} holds ${describeRecord(plan.current)}, not the endpoint of ${damaged.id} (${damaged.endpoint?.address ?? 'none'}), so nothing was changed: cutover: dns moves the record the application uses from the damaged instance to the restored one; check record-name and instance-id`,
    );
}

/** The compare-and-swap that sends the record back from the restored instance to the damaged one. */
export function recordBackCommand(plan: RecordPlan, restoredAddress: string, damagedAddress: string): string {
  return compareAndSwapCommand(plan.target, movedTo(plan, restoredAddress), movedTo(plan, damagedAddress));
}
