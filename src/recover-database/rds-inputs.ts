import { normalizeDnsName } from '../aws/dns-names.js';
import { parseIdentifier } from '../aws/rds-instance-ref.js';
import { parseRecoveryPoint, type RecoveryPointSelector } from '../aws/rds-recovery-point.js';
import { normalizeRecordValue } from '../aws/route53-record-value.js';
import { ConfigurationError } from '../errors.js';
import { parseChoice, parseInteger, type InputReader } from '../util/inputs.js';
import { startsWithDate } from '../util/time.js';

export type RecoverSource = 'backup' | 'rds-point-in-time' | 'rds-snapshot';
export type RdsSource = Exclude<RecoverSource, 'backup'>;

/** An RDS source: the production instance, where its data is to come from, and how the restored one takes its place. */
export interface RdsRecoverySettings {
  instanceId: string;
  /** latest or a time (rds-point-in-time); the newest snapshot or a named one (rds-snapshot). */
  recoveryPoint: RecoveryPointSelector;
  cutover: 'rename' | 'dns';
  /** cutover: dns: the CNAME the application finds the database by, moved from the damaged instance to the restored one. */
  record?: { hostedZoneId: string; name: string };
  /** cutover: dns: the record's value as the approved plan saw it (its record-value output), normalised. */
  expectedRecordValue?: string;
  waitTimeoutMinutes: number;
}

const RECORD_INPUTS = ['hosted-zone-id', 'record-name', 'expected-record-value'] as const;

/** hosted-zone-id, record-name, expected-record-value: all of them for cutover: dns, none for rename. */
function parseRecord(
  input: InputReader,
  cutover: 'rename' | 'dns',
): Pick<RdsRecoverySettings, 'record' | 'expectedRecordValue'> {
  const given = RECORD_INPUTS.filter((name) => input(name).trim());
  if (cutover === 'rename') {
    if (given.length)
      throw new ConfigurationError(
        `${given.join(', ')} ${given.length === 1 ? 'is' : 'are'} for cutover: dns; with cutover: rename the restored instance takes the production identifier and no record changes`,
      );
    return {};
  }
  const zone = input('hosted-zone-id')
    .trim()
    .replace(/^\/hostedzone\//, '');
  if (!/^[A-Z0-9]{1,32}$/i.test(zone))
    throw new ConfigurationError(
      `hosted-zone-id '${zone}': cutover: dns needs the id of the hosted zone that holds record-name (e.g. Z0123456789ABCDEFGHIJ)`,
    );
  if (!input('record-name').trim())
    throw new ConfigurationError(
      'record-name: cutover: dns needs the CNAME the application finds the database by (e.g. db.example.com)',
    );
  const expected = input('expected-record-value').trim();
  return {
    record: { hostedZoneId: zone.toUpperCase(), name: normalizeDnsName(input('record-name'), 'record-name') },
    ...(expected ? { expectedRecordValue: normalizeRecordValue(expected) } : {}),
  };
}

function parsePoint(text: string, source: RdsSource): RecoveryPointSelector {
  const value = text.trim();
  if (source === 'rds-point-in-time') {
    if (value && value !== 'latest' && !startsWithDate(value)) {
      throw new ConfigurationError(
        `recovery-point '${value}': with source: rds-point-in-time it is latest or a time with its zone just before the corruption (e.g. 2026-03-01T09:14:00Z); for a snapshot use source: rds-snapshot`,
      );
    }
    return parseRecoveryPoint(value);
  }
  if (!value || value === 'latest') return { kind: 'newest-snapshot' };
  if (startsWithDate(value))
    throw new ConfigurationError(
      `recovery-point '${value}' is a time: with source: rds-snapshot it is a snapshot identifier or latest (the newest snapshot); for a time use source: rds-point-in-time`,
    );
  return parseRecoveryPoint(value.startsWith('snapshot:') ? value : `snapshot:${value}`);
}

/** instance-id, recovery-point, cutover of an RDS source; the backup inputs are refused with it. */
export function parseRdsSource(input: InputReader, source: RdsSource): RdsRecoverySettings {
  // backup, prefix and terminate-connections have defaults in action.yml: only a value of the user's counts.
  const given = (name: string, byDefault: string) => ![byDefault, ''].includes(input(name).trim());
  const backupOnly = [
    ['backup', 'latest'],
    ['bucket', ''],
    ['prefix', 'database/'],
    ['terminate-connections', 'false'],
  ]
    .filter(([name, byDefault]) => given(name as string, byDefault as string))
    .map(([name]) => name);
  if (backupOnly.length) {
    throw new ConfigurationError(
      `${backupOnly.join(', ')} ${backupOnly.length === 1 ? 'is' : 'are'} for source: backup; with source: ${source} choose the recovery point with recovery-point and the instance with instance-id`,
    );
  }
  const cutover = parseChoice(input('cutover'), 'cutover', ['rename', 'dns'] as const, 'rename');
  return {
    ...parseRecord(input, cutover),
    instanceId: parseIdentifier(input('instance-id'), 'instance-id'),
    recoveryPoint: parsePoint(input('recovery-point'), source),
    cutover,
    waitTimeoutMinutes: parseInteger(input('wait-timeout-minutes'), 'wait-timeout-minutes', 120, 1, 1440),
  };
}
