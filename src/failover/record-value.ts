import type { ResourceRecordSet } from '@aws-sdk/client-route-53';

/** record-value when the record does not exist: not a DNS name, so it cannot be mistaken for one. */
export const NO_RECORD = '(none)';

function canonicalValue(value: string): string {
  return value.trim().toLowerCase().replace(/\\052/g, '*').replace(/\.$/, '');
}

/**
 * A record's value in one comparable line: `(none)`, `ALIAS <target>`, or its values sorted,
 * lower case, without trailing dots, joined with ', '. The plan job outputs it as record-value and
 * execute compares expected-record-value with it, so a reviewer approves exactly what is replaced.
 */
export function recordFingerprint(set: ResourceRecordSet | undefined): string {
  if (!set) return NO_RECORD;
  if (set.AliasTarget) return `ALIAS ${canonicalValue(set.AliasTarget.DNSName ?? '')}`;
  return (set.ResourceRecords ?? []).map((record) => canonicalValue(record.Value ?? '')).sort().join(', ');
}

/** expected-record-value in the form recordFingerprint gives, whatever its case, order or trailing dots. */
export function normalizeRecordValue(text: string): string {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === NO_RECORD) return NO_RECORD;
  const alias = /^alias\s+(\S+)$/i.exec(trimmed);
  if (alias) return `ALIAS ${canonicalValue(alias[1] as string)}`;
  return trimmed.split(',').map(canonicalValue).filter(Boolean).sort().join(', ');
}
