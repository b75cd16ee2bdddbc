import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { InstanceRef } from '../aws/rds-instance-ref.js';
import { sameDnsName } from '../aws/dns-names.js';
import type { FailoverMode, RecordTarget } from './inputs.js';
import { compareAndSwapCommand, describeRecord } from '../aws/route53-record.js';
import { recordFingerprint } from '../aws/route53-record-value.js';

/** One preflight finding about the record, before preflight files it. */
export interface RecordVerdict {
  level: 'ok' | 'warning' | 'blocker';
  finding: string;
}

/** What preflight knows about the old primary: its endpoint when its region answered. */
export interface OldPrimary {
  ref?: InstanceRef;
  /** Its endpoint address, when RDS in its region answered and it has one. */
  address?: string;
  /** Why the address is not known, when it is not. */
  unknownBecause?: string;
}

/**
 * RDS endpoints read `<identifier>.<account hash>.<region>.rds.amazonaws.com[.cn]`. When the old
 * primary's region does not answer, this is the only evidence the record still points at it.
 */
function looksLikeEndpointOf(value: string, ref: InstanceRef | undefined): boolean {
  if (!ref) return false;
  const labels = value.toLowerCase().replace(/\.$/, '').split('.');
  return labels[0] === ref.id && labels.includes(ref.region) && /\.rds\.amazonaws\.com(\.cn)?$/.test(labels.join('.'));
}

/**
 * The live record against the approved plan (expected-record-value): any difference refuses,
 * whatever the source region does. Without one, execute says what it is not bound to.
 */
export function approvedRecordVerdict(
  mode: FailoverMode,
  target: RecordTarget,
  expected: string | undefined,
  current: ResourceRecordSet | undefined,
): RecordVerdict | undefined {
  const live = recordFingerprint(current);
  if (expected === undefined) {
    if (mode !== 'execute') return undefined;
    return {
      level: 'warning',
      finding: `no expected-record-value: the compare-and-swap replaces ${live}, what this run read, not necessarily what the reviewed plan showed; pass the plan's record-value output`,
    };
  }
  if (live === expected)
    return {
      level: 'ok',
      finding: `${target.name} ${target.type} holds ${live}, as the approved plan saw it (expected-record-value)`,
    };
  return {
    level: 'blocker',
    finding:
      `${target.name} ${target.type} holds ${live}, but the approved plan saw ${expected} (expected-record-value): it changed after the plan was reviewed, so nothing is promoted or switched. ` +
      'Find out who changed it and why, then run plan again and have the new plan approved',
  };
}

/**
 * The live record against the two places it may rightly point before execute: the old primary
 * (execute moves it) or the new one (already switched). Anything else is somebody else's change,
 * and replacing it is not failover's call. An alias fronts the database, so it cannot be matched
 * with either endpoint; expected-record-value is what binds it.
 */
export function currentRecordVerdict(
  target: RecordTarget,
  current: ResourceRecordSet,
  desired: ResourceRecordSet,
  oldPrimary: OldPrimary,
): RecordVerdict {
  const shown = `${target.name} ${target.type}: ${describeRecord(current)}`;
  if (current.AliasTarget)
    return { level: 'ok', finding: `${shown} (an alias: not compared with the old primary's endpoint)` };
  const values = (current.ResourceRecords ?? []).map((r) => r.Value ?? '');
  const { address, ref } = oldPrimary;
  if (address !== undefined && values.length > 0 && values.every((v) => sameDnsName(v, address))) {
    return { level: 'ok', finding: `${shown}, the old primary's endpoint` };
  }
  if (address === undefined && values.length > 0 && values.every((v) => looksLikeEndpointOf(v, ref))) {
    return {
      level: 'warning',
      finding: `${shown}: named like the old primary's endpoint, not confirmed (${oldPrimary.unknownBecause ?? 'its endpoint is unknown'})`,
    };
  }
  const oldText = address ?? `unknown: ${oldPrimary.unknownBecause ?? 'no source'}`;
  const newText = (desired.ResourceRecords ?? []).map((r) => r.Value).join(', ') || describeRecord(desired);
  return {
    level: 'blocker',
    finding:
      `${shown} is neither the old primary's endpoint (${oldText}) nor the new primary's (${newText}): someone pointed it elsewhere, and execute would replace their value. ` +
      `Find out who changed it. To fail over anyway, point it at the new primary yourself with one compare-and-swap, \`${compareAndSwapCommand(target, current, desired)}\`, ` +
      'then run plan again (execute then promotes and finds DNS already switched); or point it back at the old primary and run plan again',
  };
}
