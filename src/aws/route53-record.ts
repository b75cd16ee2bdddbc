import type { Change, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { recordSetsFrom } from './route53-record-sets.js';
import { changeRecordSets, hostedZoneName, type ChangeSubmitted } from './route53.js';
import type { ThrottleRetryOptions } from './throttling.js';
import { errorMessage } from '../errors.js';
import { bareDnsName, canonicalDnsName, sameDnsName } from './dns-names.js';
import { recordFingerprint } from './route53-record-value.js';

/** The Route 53 record the application uses to find its database. */
export interface RecordTarget {
  hostedZoneId: string;
  /** Lower case, with the trailing dot Route 53 returns. */
  name: string;
  type: 'CNAME' | 'A';
  /** CNAME only: an alias record has no TTL of its own. */
  ttl: number;
  /** A only: the alias target that fronts the new primary (a load balancer). */
  alias?: { dnsName: string; hostedZoneId: string };
}

/** The record sets under one name, as Route 53 holds them now. */
export interface RecordLookup {
  zoneName: string;
  /** Every record set with exactly the target's name, of any type. */
  sets: ResourceRecordSet[];
}

export async function lookupRecord(client: Route53Client, target: RecordTarget): Promise<RecordLookup> {
  const zoneName = canonicalDnsName(await hostedZoneName(client, target.hostedZoneId));
  const sets = (await recordSetsFrom(client, target.hostedZoneId, target.name)).filter((set) =>
    sameDnsName(set.Name ?? '', target.name),
  );
  return { zoneName, sets };
}

/** How a record reads in a table: its values, or ALIAS and the alias target. */
export function recordValue(set: ResourceRecordSet | undefined): string {
  if (!set) return '';
  if (set.AliasTarget) return `ALIAS ${bareDnsName(set.AliasTarget.DNSName ?? '')}`;
  return (set.ResourceRecords ?? []).map((record) => record.Value ?? '').join(', ');
}

export function describeRecord(set: ResourceRecordSet): string {
  const ttl = set.AliasTarget ? 'alias' : `TTL ${set.TTL ?? '?'}`;
  return `${recordValue(set)} (${ttl})`;
}

/** The record as failover leaves it: a CNAME to the new primary's endpoint, or an A alias to what fronts it. */
export function desiredRecordSet(
  target: RecordTarget,
  endpointAddress: string,
  current: ResourceRecordSet | undefined,
): ResourceRecordSet {
  if (target.alias) {
    return {
      Name: target.name,
      Type: 'A',
      AliasTarget: {
        HostedZoneId: target.alias.hostedZoneId,
        DNSName: target.alias.dnsName,
        EvaluateTargetHealth: current?.AliasTarget?.EvaluateTargetHealth ?? false,
      },
    };
  }
  return { Name: target.name, Type: 'CNAME', TTL: target.ttl, ResourceRecords: [{ Value: endpointAddress }] };
}

/**
 * True when `current` already sends clients where `desired` would (TTL aside): the same type and,
 * in record-value's form, the same value; an alias in the same hosted zone.
 */
export function pointsAt(current: ResourceRecordSet | undefined, desired: ResourceRecordSet): boolean {
  if (!current || current.Type !== desired.Type || Boolean(current.AliasTarget) !== Boolean(desired.AliasTarget))
    return false;
  if (desired.AliasTarget && current.AliasTarget?.HostedZoneId !== desired.AliasTarget.HostedZoneId) return false;
  return recordFingerprint(current) === recordFingerprint(desired);
}

/**
 * The record exactly as read, for a DELETE that only matches while nothing changed it. An alias
 * record has no TTL of its own (some emulators report 0), and a DELETE must not carry one.
 */
function exactly(set: ResourceRecordSet): ResourceRecordSet {
  if (!set.AliasTarget) return set;
  const { TTL: _ttl, ...alias } = set;
  return alias;
}

/** A compare-and-swap: Route 53 applies the batch only if the record is still exactly `current`. */
export function compareAndSwapChanges(current: ResourceRecordSet | undefined, desired: ResourceRecordSet): Change[] {
  const changes: Change[] = [];
  if (current) changes.push({ Action: 'DELETE', ResourceRecordSet: exactly(current) });
  changes.push({ Action: 'CREATE', ResourceRecordSet: desired });
  return changes;
}

/** The same compare-and-swap as an AWS CLI command, for an operator to run by hand. */
export function compareAndSwapCommand(
  target: RecordTarget,
  current: ResourceRecordSet,
  desired: ResourceRecordSet,
): string {
  return `aws route53 change-resource-record-sets --hosted-zone-id ${target.hostedZoneId} --change-batch '${JSON.stringify({ Changes: compareAndSwapChanges(current, desired) })}'`;
}

/** The record was changed by someone else between preflight and the switch; nothing was changed. */
export class RecordChangedError extends Error {
  override name = 'RecordChangedError';
}

export interface SwitchOptions extends ThrottleRetryOptions {
  comment: string;
}

/**
 * The change this run submitted, or none: Route 53 refused the compare-and-swap because someone
 * else (typically a second failover or recovery started at the same moment) had already moved the
 * record exactly where this run would. `now` is the record as it holds then.
 */
export type SwitchResult = (ChangeSubmitted & { switchedBy: 'this run' }) | { switchedBy: 'someone else'; now: string };

function changeBatchMessage(error: unknown): string | undefined {
  const { name, messages } = error as { name?: string; messages?: string[] };
  if (name !== 'InvalidChangeBatch') return undefined;
  return messages?.length ? messages.join('; ') : errorMessage(error);
}

/**
 * Sends the compare-and-swap batch. Throttling and PriorRequestNotComplete are retried with
 * backoff until the deadline. A batch Route 53 rejects because the record no longer matches is
 * no failure when the record now points where this run would put it (someone else switched it
 * first: this run changes nothing); otherwise it becomes a RecordChangedError that says what the
 * record holds now.
 */
export async function switchRecord(
  client: Route53Client,
  target: RecordTarget,
  current: ResourceRecordSet | undefined,
  desired: ResourceRecordSet,
  options: SwitchOptions,
): Promise<SwitchResult> {
  const changes = compareAndSwapChanges(current, desired);
  try {
    const submitted = await changeRecordSets(
      client,
      target.hostedZoneId,
      { comment: options.comment, changes },
      options,
    );
    return { ...submitted, switchedBy: 'this run' };
  } catch (error) {
    const rejected = changeBatchMessage(error);
    if (!rejected) throw error;
    const sets = await lookupRecord(client, target).then(
      (lookup) => lookup.sets.filter((set) => set.Type === target.type),
      (lookupError: unknown) => `unreadable: ${errorMessage(lookupError)}`,
    );
    const now = typeof sets === 'string' ? sets : sets.map(describeRecord).join('; ') || 'no such record';
    if (typeof sets !== 'string' && sets.length === 1 && pointsAt(sets[0], desired))
      return { switchedBy: 'someone else', now };
    const before = current ? describeRecord(current) : 'no such record';
    throw new RecordChangedError(
      `${target.name} ${target.type} changed after preflight, so Route 53 refused the compare-and-swap and nothing was changed: preflight read ${before}, it now holds ${now}. ` +
        `Find out who changed it, then run plan again and execute (Route 53: ${rejected})`,
    );
  }
}
