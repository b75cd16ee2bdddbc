import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { bareDnsName } from './dns-names.js';

/** record-value when the record does not exist: not a DNS name, so it cannot be mistaken for one. */
export const NO_RECORD = '(none)';

/**
 * A record's value in one comparable line: `(none)`, `ALIAS <target>`, or its values sorted,
 * lower case, without trailing dots, joined with ', '. The plan job outputs it as record-value and
 * execute compares expected-record-value with it, so a reviewer approves exactly what is replaced.
 */
export function recordFingerprint(set: ResourceRecordSet | undefined): string {
  if (!set) return NO_RECORD;
  if (set.AliasTarget) return `ALIAS ${bareDnsName(set.AliasTarget.DNSName ?? '')}`;
  return (set.ResourceRecords ?? [])
    .map((record) => bareDnsName(record.Value ?? ''))
    .sort()
    .join(', ');
}

/** expected-record-value in the form recordFingerprint gives, whatever its case, order or trailing dots. */
export function normalizeRecordValue(text: string): string {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === NO_RECORD) return NO_RECORD;
  const alias = /^alias\s+(\S+)$/i.exec(trimmed);
  if (alias) return `ALIAS ${bareDnsName(alias[1] as string)}`;
  return trimmed.split(',').map(bareDnsName).filter(Boolean).sort().join(', ');
}
